package localstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/dakahq/daka/media"
)

// errSizeMismatch means the reader given to Put did not yield the declared size.
var errSizeMismatch = errors.New("size mismatch")

// Reserved top-level folders; media.ValidateKey refuses dot-segments, so no
// key can name them.
const (
	tmpDir  = ".tmp"
	metaDir = ".meta"
)

// DefaultMaxPutBytes bounds signed-PUT bodies when Options.MaxPutBytes is 0;
// it matches media.DefaultMaxBytes so any accepted photo can be uploaded.
const DefaultMaxPutBytes = media.DefaultMaxBytes

// minSigningKeyLen is the shortest HMAC key accepted: 256 bits, the output
// size of SHA-256.
const minSigningKeyLen = 32

// Options configure a Store.
type Options struct {
	// Dir is the folder holding the objects; it is created if missing.
	Dir string
	// BaseURL is the externally reachable URL of the API that mounts Handler,
	// e.g. "https://daka.example.com"; signed URLs start with it.
	BaseURL string
	// SigningKey is the HMAC-SHA256 key for signed URLs, at least 32 bytes.
	// Rotating it invalidates every outstanding URL.
	SigningKey []byte
	// MaxPutBytes is the largest body Handler accepts on a signed PUT.
	// Zero means DefaultMaxPutBytes.
	MaxPutBytes int64
	// Now is the clock for signing and verifying URLs. Nil means time.Now.
	Now func() time.Time
}

// Store is a media.Store over a local folder. It is safe for concurrent use.
type Store struct {
	root *os.Root
	base string // BaseURL without a trailing slash
	key  []byte
	max  int64
	now  func() time.Time
}

var _ media.Store = (*Store)(nil)

// New opens (creating if needed) the folder in opts.Dir.
func New(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("localstore: Dir is required")
	}
	if len(opts.SigningKey) < minSigningKeyLen {
		return nil, fmt.Errorf("localstore: SigningKey must be at least %d bytes, got %d", minSigningKeyLen, len(opts.SigningKey))
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("localstore: BaseURL %q must be an absolute http(s) URL without query", opts.BaseURL)
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("localstore: create dir: %w", err)
	}
	root, err := os.OpenRoot(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("localstore: open dir: %w", err)
	}
	for _, d := range []string{tmpDir, metaDir} {
		if err := root.MkdirAll(d, 0o750); err != nil {
			root.Close()
			return nil, fmt.Errorf("localstore: create %s: %w", d, err)
		}
	}
	s := &Store{
		root: root,
		base: strings.TrimRight(opts.BaseURL, "/"),
		key:  append([]byte(nil), opts.SigningKey...),
		max:  opts.MaxPutBytes,
		now:  opts.Now,
	}
	if s.max <= 0 {
		s.max = DefaultMaxPutBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Close releases the folder handle. The Store must not be used afterwards.
func (s *Store) Close() error { return s.root.Close() }

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
	tmp, err := s.writeTemp(ctx, r, size)
	if err != nil {
		return fmt.Errorf("localstore: put %s: %w", key, err)
	}
	defer s.root.Remove(tmp) // no-op once renamed

	metaTmp, err := s.writeTemp(ctx, strings.NewReader(contentType), int64(len(contentType)))
	if err != nil {
		return fmt.Errorf("localstore: put %s: %w", key, err)
	}
	defer s.root.Remove(metaTmp)
	if err := s.commit(metaTmp, path.Join(metaDir, key)); err != nil {
		return fmt.Errorf("localstore: put %s: content type: %w", key, err)
	}
	if err := s.commit(tmp, key); err != nil {
		return fmt.Errorf("localstore: put %s: %w", key, err)
	}
	return nil
}

// writeTemp copies r into a fresh fsynced file under tmpDir and returns its
// name. With size ≥ 0, r must yield exactly size bytes.
func (s *Store) writeTemp(ctx context.Context, r io.Reader, size int64) (_ string, err error) {
	var rnd [12]byte
	rand.Read(rnd[:])
	name := path.Join(tmpDir, hex.EncodeToString(rnd[:]))
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			s.root.Remove(name)
		}
	}()
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size+1)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		return "", err
	}
	if size >= 0 && n != size {
		return "", fmt.Errorf("%w: read %d bytes, want %d", errSizeMismatch, n, size)
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return name, nil
}

// commit renames tmp to final, creating parent folders, and fsyncs the
// folder so the rename survives a crash.
func (s *Store) commit(tmp, final string) error {
	dir := path.Dir(final)
	if err := s.root.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := s.root.Rename(tmp, final); err != nil {
		return err
	}
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get implements media.Store. The returned reader is an *os.File.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := s.open(key)
	return f, err
}

// open opens key for reading and stats it; folders count as missing.
func (s *Store) open(key string) (*os.File, fs.FileInfo, error) {
	if err := media.ValidateKey(key); err != nil {
		return nil, nil, err
	}
	f, err := s.root.Open(key)
	if err != nil {
		return nil, nil, notFound(key, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist
		}
		return nil, nil, notFound(key, err)
	}
	return f, fi, nil
}

// Delete implements media.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := media.ValidateKey(key); err != nil {
		return err
	}
	if err := s.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localstore: delete %s: %w", key, err)
	}
	if err := s.root.Remove(path.Join(metaDir, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localstore: delete %s content type: %w", key, err)
	}
	return nil
}

// Stat implements media.Store.
func (s *Store) Stat(ctx context.Context, key string) (media.ObjectInfo, error) {
	f, fi, err := s.open(key)
	if err != nil {
		return media.ObjectInfo{}, err
	}
	f.Close()
	return media.ObjectInfo{Key: key, Size: fi.Size(), ContentType: s.contentType(key), ModTime: fi.ModTime()}, nil
}

// contentType reads the sidecar; objects from before a crash between the two
// renames may lack one.
func (s *Store) contentType(key string) string {
	b, err := s.root.ReadFile(path.Join(metaDir, key))
	if err != nil || media.ValidateContentType(string(b)) != nil {
		return media.DefaultContentType
	}
	return string(b)
}

func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("localstore: %s: %w", key, media.ErrObjectNotFound)
	}
	return fmt.Errorf("localstore: open %s: %w", key, err)
}

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
