package s3store

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dakahq/daka/internal/s3test"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/media/storetest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func newStore(t *testing.T, srv *s3test.Server) *Store {
	t.Helper()
	s, err := New(context.Background(), Options{
		Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: srv.Bucket, PathStyle: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	s := newStore(t, s3test.Start(t))
	storetest.Run(t, func(t *testing.T) media.Store { return s })
}

func TestSignedURLExpires(t *testing.T) {
	t.Parallel()
	s := newStore(t, s3test.Start(t))
	storetest.ExpiredURL(t, s, time.Second, time.Sleep)
}

func TestNewCreatesTheBucketIfMissing(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	admin, err := minio.New(srv.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: srv.Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if ok, err := admin.BucketExists(ctx, srv.Bucket); err != nil || ok {
		t.Fatalf("bucket exists before New: %v, %v", ok, err)
	}
	newStore(t, srv)
	if ok, err := admin.BucketExists(ctx, srv.Bucket); err != nil || !ok {
		t.Fatalf("bucket missing after New: %v, %v", ok, err)
	}
	newStore(t, srv) // an existing bucket is used as is
}

// TestWrongSecretIsRefused proves the server really checks SigV4, so the
// other tests' successes mean something: a store with a wrong secret can
// neither start, nor write, nor mint working URLs.
func TestWrongSecretIsRefused(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	good := newStore(t, srv) // creates the bucket
	ctx := context.Background()
	if err := good.Put(ctx, "p/x.jpg", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
		t.Fatal(err)
	}

	opts := Options{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey + "-wrong", Bucket: srv.Bucket, PathStyle: true}
	if _, err := New(ctx, opts); err == nil {
		t.Fatal("New with a wrong secret succeeded")
	}
	client, err := newClient(opts.Endpoint, Options{AccessKey: opts.AccessKey, SecretKey: opts.SecretKey, Region: DefaultRegion, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	bad := &Store{client: client, presign: client, bucket: srv.Bucket}
	err = bad.Put(ctx, "p/y.jpg", strings.NewReader("y"), 1, "image/jpeg")
	if code := s3Code(err); code != "SignatureDoesNotMatch" && code != "AccessDenied" {
		t.Errorf("Put with a wrong secret = %v, want a signature error", err)
	}
	u, err := bad.SignedGetURL(ctx, "p/x.jpg", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status := httpStatus(t, http.MethodGet, u); status != http.StatusForbidden {
		t.Errorf("GET of a URL signed with a wrong secret = %d, want 403", status)
	}
}

func TestObjectsAreNotPublic(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	s := newStore(t, srv)
	if err := s.Put(context.Background(), "private.jpg", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if status := httpStatus(t, http.MethodGet, srv.URL+"/"+srv.Bucket+"/private.jpg"); status != http.StatusForbidden {
		t.Errorf("anonymous GET = %d, want 403", status)
	}
}

func TestPublicEndpointSignsForTheClientsHost(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	public := "http://" + strings.Replace(srv.Endpoint, "127.0.0.1", "localhost", 1)
	s, err := New(context.Background(), Options{
		Endpoint: srv.URL, PublicEndpoint: public, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: srv.Bucket, PathStyle: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "pub.jpg", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	u, err := s.SignedGetURL(context.Background(), "pub.jpg", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, public+"/") {
		t.Fatalf("URL %s does not use the public endpoint %s", u, public)
	}
	if status := httpStatus(t, http.MethodGet, u); status != http.StatusOK {
		t.Errorf("GET via the public endpoint = %d, want 200", status)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
	}{
		{"NoBucket", Options{Endpoint: "127.0.0.1:1"}},
		{"NoEndpoint", Options{Bucket: "b"}},
		{"EndpointWithPath", Options{Endpoint: "http://127.0.0.1:1/s3", Bucket: "b"}},
		{"FTPEndpoint", Options{Endpoint: "ftp://127.0.0.1:1", Bucket: "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if _, err := New(ctx, tc.opts); err == nil {
				t.Fatal("New accepted invalid options")
			} else if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("New tried the network instead of rejecting the options: %v", err)
			}
		})
	}
}

func httpStatus(t *testing.T, method, url string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
