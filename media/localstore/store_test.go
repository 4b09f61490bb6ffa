package localstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/media/storetest"
)

var testKey = bytes.Repeat([]byte("k"), 32)

// clock is a settable time source for signed-URL tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	store *Store
	clock *clock
	dir   string
	base  string // server URL plus the BaseURL path, if any
}

// newFixture starts a store in a temporary folder behind an httptest server
// that mounts Handler the way the API does.
func newFixture(t *testing.T, mutate func(*Options)) *fixture {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	base := "http://" + srv.Listener.Addr().String()
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	opts := Options{Dir: t.TempDir(), BaseURL: base, SigningKey: testKey, Now: c.Now}
	if mutate != nil {
		mutate(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mux.Handle("/", s.Handler())
	srv.Start()
	t.Cleanup(srv.Close)
	return &fixture{store: s, clock: c, dir: opts.Dir, base: opts.BaseURL}
}

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	shared := newFixture(t, nil).store
	storetest.Run(t, func(t *testing.T) media.Store { return shared })
}

func TestSignedURLExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	storetest.ExpiredURL(t, f.store, time.Minute, f.clock.Advance)
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
	}{
		{"NoDir", Options{BaseURL: "http://x", SigningKey: testKey}},
		{"ShortKey", Options{Dir: dir, BaseURL: "http://x", SigningKey: []byte("short")}},
		{"RelativeBaseURL", Options{Dir: dir, BaseURL: "/v1", SigningKey: testKey}},
		{"BaseURLWithQuery", Options{Dir: dir, BaseURL: "http://x/?a=b", SigningKey: testKey}},
		{"FTPBaseURL", Options{Dir: dir, BaseURL: "ftp://x", SigningKey: testKey}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if s, err := New(tc.opts); err == nil {
				s.Close()
				t.Fatal("New accepted invalid options")
			}
		})
	}
}

func TestSignedURLFormat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.BaseURL = "https://daka.example.com/" })
	u, err := f.store.SignedGetURL(context.Background(), "photos/a.jpg", 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := "https://daka.example.com/v1/media/photos/a.jpg?expires=1772355690&sig="
	if !strings.HasPrefix(u, wantPrefix) || len(u) != len(wantPrefix)+64 {
		t.Errorf("SignedGetURL = %s, want %s<64 hex>", u, wantPrefix)
	}
	p, err := f.store.SignedPutURL(context.Background(), "photos/a.jpg", 90*time.Second, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://daka.example.com/v1/media/photos/a.jpg?ct=image%2Fjpeg&expires=1772355690&sig="; !strings.HasPrefix(p, want) {
		t.Errorf("SignedPutURL = %s, want prefix %s", p, want)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	s := f.store
	now := f.clock.Now()
	exp := now.Add(time.Minute).Unix()
	getSig := s.mac("GET", "a/b.jpg", exp, "")
	putSig := s.mac("PUT", "a/b.jpg", exp, "image/jpeg")
	other, err := New(Options{Dir: t.TempDir(), BaseURL: "http://x", SigningKey: bytes.Repeat([]byte("o"), 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tests := []struct {
		name   string
		verify func() error
		want   error // nil: valid
	}{
		{"ValidGet", func() error { return s.VerifySignature("a/b.jpg", "GET", exp, getSig, now) }, nil},
		{"ValidAtTheLastSecond", func() error { return s.VerifySignature("a/b.jpg", "GET", exp, getSig, time.Unix(exp, 0)) }, nil},
		{"Expired", func() error { return s.VerifySignature("a/b.jpg", "GET", exp, getSig, time.Unix(exp+1, 0)) }, ErrSignatureExpired},
		{"ExpiryExtended", func() error { return s.VerifySignature("a/b.jpg", "GET", exp+3600, getSig, now) }, ErrSignatureInvalid},
		{"OtherKey", func() error { return s.VerifySignature("a/c.jpg", "GET", exp, getSig, now) }, ErrSignatureInvalid},
		{"TamperedSignature", func() error { return s.VerifySignature("a/b.jpg", "GET", exp, "0"+getSig[1:], now) }, ErrSignatureInvalid},
		{"MalformedSignature", func() error { return s.VerifySignature("a/b.jpg", "GET", exp, "zz", now) }, ErrSignatureInvalid},
		{"EmptySignature", func() error { return s.VerifySignature("a/b.jpg", "GET", exp, "", now) }, ErrSignatureInvalid},
		{"GetSignatureUsedForPut", func() error { return s.VerifySignature("a/b.jpg", "PUT", exp, getSig, now) }, ErrSignatureInvalid},
		{"PutSignatureUsedForGet", func() error { return s.VerifySignature("a/b.jpg", "GET", exp, putSig, now) }, ErrSignatureInvalid},
		{"ValidPut", func() error { return s.VerifyPutSignature("a/b.jpg", "image/jpeg", exp, putSig, now) }, nil},
		{"PutOtherContentType", func() error { return s.VerifyPutSignature("a/b.jpg", "text/html", exp, putSig, now) }, ErrSignatureInvalid},
		{"OtherSigningKey", func() error { return other.VerifySignature("a/b.jpg", "GET", exp, getSig, now) }, ErrSignatureInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.verify()
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.MaxPutBytes = 1000 })
	ctx := context.Background()
	body := []byte("0123456789abcdef")
	if err := f.store.Put(ctx, "h/obj.jpg", bytes.NewReader(body), int64(len(body)), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	getURL, _ := f.store.SignedGetURL(ctx, "h/obj.jpg", time.Hour)
	missingURL, _ := f.store.SignedGetURL(ctx, "h/missing.jpg", time.Hour)
	putURL, _ := f.store.SignedPutURL(ctx, "h/up.jpg", time.Hour, "image/jpeg")
	tests := []struct {
		name       string
		method     string
		url        string
		header     map[string]string
		body       []byte
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{name: "Get", method: "GET", url: getURL, wantStatus: 200, wantBody: string(body), wantHeader: map[string]string{
			"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=3600",
			"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
		}},
		{name: "Head", method: "HEAD", url: getURL, wantStatus: 200, wantHeader: map[string]string{"Content-Length": "16"}},
		{name: "Range", method: "GET", url: getURL, header: map[string]string{"Range": "bytes=10-"}, wantStatus: 206, wantBody: "abcdef"},
		{name: "MissingObjectAfterValidSignature", method: "GET", url: missingURL, wantStatus: 404},
		{name: "NoSignature", method: "GET", url: strings.Split(getURL, "?")[0], wantStatus: 403},
		{name: "NotUnderMountPath", method: "GET", url: strings.Replace(getURL, "/v1/media/", "/v1/other/", 1), wantStatus: 403},
		{name: "TraversalInPath", method: "GET", url: f.base + "/v1/media/h/../../etc/passwd?expires=9999999999&sig=00", wantStatus: 403},
		{name: "Delete", method: "DELETE", url: getURL, wantStatus: 405, wantHeader: map[string]string{"Allow": "GET, HEAD, PUT"}},
		{name: "PutTooLarge", method: "PUT", url: putURL, header: map[string]string{"Content-Type": "image/jpeg"}, body: make([]byte, 1001), wantStatus: 413},
		{name: "PutWithoutContentType", method: "PUT", url: putURL, body: body, wantStatus: 403},
		{name: "Put", method: "PUT", url: putURL, header: map[string]string{"Content-Type": "image/jpeg"}, body: body, wantStatus: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Sequential: the last case writes an object.
			req, err := http.NewRequest(tc.method, tc.url, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, got, tc.wantStatus)
			}
			if tc.wantBody != "" && string(got) != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
			for k, v := range tc.wantHeader {
				if resp.Header.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, resp.Header.Get(k), v)
				}
			}
		})
	}
	if info, err := f.store.Stat(ctx, "h/up.jpg"); err != nil || info.Size != int64(len(body)) {
		t.Errorf("uploaded object: %+v, %v", info, err)
	}
}

func TestHandlerUnderBaseURLPath(t *testing.T) {
	t.Parallel()
	// An API served below a path prefix: BaseURL carries it and the handler,
	// mounted without stripping, still finds the key after MountPath.
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	s, err := New(Options{Dir: t.TempDir(), BaseURL: "http://" + srv.Listener.Addr().String() + "/api", SigningKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mux.Handle("/api/v1/media/", s.Handler())
	srv.Start()
	defer srv.Close()
	if err := s.Put(context.Background(), "k.jpg", strings.NewReader("hi"), 2, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	u, _ := s.SignedGetURL(context.Background(), "k.jpg", time.Minute)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET %s = %d", u, resp.StatusCode)
	}
}

// TestPutIsAtomic replaces an object over and over while readers read it:
// every read must see one complete version, never a mix or a truncation.
func TestPutIsAtomic(t *testing.T) {
	t.Parallel()
	s := newFixture(t, nil).store
	ctx := context.Background()
	const size = 256 << 10
	versions := [][]byte{bytes.Repeat([]byte("a"), size), bytes.Repeat([]byte("b"), size)}
	if err := s.Put(ctx, "atomic.bin", bytes.NewReader(versions[0]), size, ""); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				rc, err := s.Get(ctx, "atomic.bin")
				if err != nil {
					t.Error(err)
					return
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !(bytes.Equal(b, versions[0]) || bytes.Equal(b, versions[1])) {
					t.Errorf("read %d bytes, not one complete version (err %v)", len(b), err)
					return
				}
			}
		})
	}
	for i := range 40 {
		if err := s.Put(ctx, "atomic.bin", bytes.NewReader(versions[i%2]), size, ""); err != nil {
			t.Error(err)
		}
	}
	close(done)
	wg.Wait()
}

func TestFailedPutKeepsPreviousObjectAndLeavesNoTempFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.store.Put(ctx, "keep.jpg", strings.NewReader("original"), 8, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Put(ctx, "keep.jpg", strings.NewReader("short"), 100, "image/png"); err == nil {
		t.Fatal("short Put succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.store.Put(cancelled, "keep.jpg", strings.NewReader("cancelled"), 9, "image/png"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context = %v", err)
	}
	rc, err := f.store.Get(ctx, "keep.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	info, _ := f.store.Stat(ctx, "keep.jpg")
	if string(b) != "original" || info.ContentType != "image/jpeg" {
		t.Errorf("object is %q (%s) after failed Puts, want the original", b, info.ContentType)
	}
	if left, _ := os.ReadDir(filepath.Join(f.dir, tmpDir)); len(left) != 0 {
		t.Errorf("%d temporary files left behind", len(left))
	}
}

func TestSymlinksCannotEscapeTheFolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.jpg"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(f.dir, "link")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if rc, err := f.store.Get(ctx, "link/secret.jpg"); err == nil {
		rc.Close()
		t.Error("Get followed a symlink out of the folder")
	}
	if err := f.store.Put(ctx, "link/planted.jpg", strings.NewReader("x"), 1, ""); err == nil {
		t.Error("Put wrote through a symlink out of the folder")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted.jpg")); err == nil {
		t.Error("file planted outside the folder")
	}
}

func TestHandlerTruncatedPutIs400AndStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u, err := f.store.SignedPutURL(context.Background(), "trunc.jpg", time.Minute, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	// A client that promises 100 bytes, sends 10 and hangs up its side.
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	path := strings.TrimPrefix(u, f.base)
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100\r\n\r\n0123456789", path)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if _, err := f.store.Stat(context.Background(), "trunc.jpg"); !errors.Is(err, media.ErrObjectNotFound) {
		t.Errorf("Stat = %v, want ErrObjectNotFound", err)
	}
}
