package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dakahq/daka/media"
)

// DefaultRegion is used when Options.Region is empty.
const DefaultRegion = "us-east-1"

// Options configure a Store.
type Options struct {
	// Endpoint is host[:port] of the S3 API, e.g. "oss-cn-hangzhou.aliyuncs.com"
	// or "127.0.0.1:7070". A scheme ("https://…") is accepted and sets UseSSL.
	Endpoint string
	// PublicEndpoint, when set, is the host[:port] (or URL) clients use to
	// reach the service, if it differs from Endpoint (e.g. Endpoint is an
	// internal hostname). Presigned URLs are signed for it, so they work from
	// outside.
	PublicEndpoint string
	// AccessKey and SecretKey are the credentials (SigV4).
	AccessKey, SecretKey string
	// Bucket holds the objects; it is created if missing.
	Bucket string
	// Region is the bucket's region. Empty means DefaultRegion.
	Region string
	// UseSSL selects https.
	UseSSL bool
	// PathStyle forces path-style requests (host/bucket/key), as local and
	// most self-hosted servers need. Otherwise minio-go picks virtual-host
	// style for AWS, Google and Aliyun endpoints and path style elsewhere.
	PathStyle bool
	// Transport overrides the HTTP transport (tests, proxies). Nil means
	// minio-go's default.
	Transport http.RoundTripper
}

// Store is a media.Store over one S3 bucket. It is safe for concurrent use.
type Store struct {
	client  *minio.Client
	presign *minio.Client // client for PublicEndpoint; same as client if unset
	bucket  string
}

var _ media.Store = (*Store)(nil)

// New connects, verifies the credentials and creates the bucket if it does
// not exist. Wrong credentials fail here, not at the first upload.
func New(ctx context.Context, opts Options) (*Store, error) {
	if opts.Bucket == "" {
		return nil, errors.New("s3store: Bucket is required")
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	client, err := newClient(opts.Endpoint, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{client: client, presign: client, bucket: opts.Bucket}
	if opts.PublicEndpoint != "" {
		if s.presign, err = newClient(opts.PublicEndpoint, opts); err != nil {
			return nil, err
		}
	}
	exists, err := client.BucketExists(ctx, opts.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3store: check bucket %s: %w", opts.Bucket, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, opts.Bucket, minio.MakeBucketOptions{Region: opts.Region})
		if err != nil && s3Code(err) != "BucketAlreadyOwnedByYou" {
			return nil, fmt.Errorf("s3store: create bucket %s: %w", opts.Bucket, err)
		}
	}
	return s, nil
}

func newClient(endpoint string, opts Options) (*minio.Client, error) {
	secure := opts.UseSSL
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("s3store: endpoint %q must be host[:port] or http(s)://host[:port]", endpoint)
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	if endpoint == "" {
		return nil, errors.New("s3store: Endpoint is required")
	}
	lookup := minio.BucketLookupAuto
	if opts.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(opts.AccessKey, opts.SecretKey, ""),
		Secure:       secure,
		Region:       opts.Region,
		BucketLookup: lookup,
		Transport:    opts.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: client for %s: %w", endpoint, err)
	}
	return c, nil
}

// Put implements media.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := media.ValidateKey(key); err != nil {
		return err
	}
	if contentType == "" {
		contentType = media.DefaultContentType
	}
	if err := media.ValidateContentType(contentType); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("s3store: put %s: %w", key, err)
	}
	return nil
}

// Get implements media.Store. The first request is made before it returns,
// so a missing key is reported here rather than at the first Read.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := media.ValidateKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.wrap("get", key, err)
	}
	return obj, nil
}

// Delete implements media.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := media.ValidateKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && s3Code(err) != "NoSuchKey" {
		return fmt.Errorf("s3store: delete %s: %w", key, err)
	}
	return nil
}

// Stat implements media.Store.
func (s *Store) Stat(ctx context.Context, key string) (media.ObjectInfo, error) {
	if err := media.ValidateKey(key); err != nil {
		return media.ObjectInfo{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return media.ObjectInfo{}, s.wrap("stat", key, err)
	}
	return media.ObjectInfo{Key: key, Size: oi.Size, ContentType: oi.ContentType, ModTime: oi.LastModified}, nil
}

// SignedGetURL implements media.Store with a SigV4 presigned GET.
func (s *Store) SignedGetURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := validate(key, ttl); err != nil {
		return "", err
	}
	u, err := s.presign.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("s3store: presign get %s: %w", key, err)
	}
	return u.String(), nil
}

// SignedPutURL implements media.Store with a SigV4 presigned PUT whose
// signed headers include Content-Type.
func (s *Store) SignedPutURL(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error) {
	if err := validate(key, ttl); err != nil {
		return "", err
	}
	if err := media.ValidateContentType(contentType); err != nil {
		return "", err
	}
	u, err := s.presign.PresignHeader(ctx, http.MethodPut, s.bucket, key, ttl, nil,
		http.Header{"Content-Type": []string{contentType}})
	if err != nil {
		return "", fmt.Errorf("s3store: presign put %s: %w", key, err)
	}
	return u.String(), nil
}

func validate(key string, ttl time.Duration) error {
	if err := media.ValidateKey(key); err != nil {
		return err
	}
	return media.ValidateTTL(ttl)
}

// wrap maps "no such key" to media.ErrObjectNotFound and adds context.
func (s *Store) wrap(op, key string, err error) error {
	if code := s3Code(err); code == "NoSuchKey" || code == "NotFound" {
		return fmt.Errorf("s3store: %s %s: %w", op, key, media.ErrObjectNotFound)
	}
	return fmt.Errorf("s3store: %s %s: %w", op, key, err)
}

// s3Code is the S3 error code of err ("NoSuchKey", "AccessDenied", …) or "".
func s3Code(err error) string {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code
	}
	return ""
}
