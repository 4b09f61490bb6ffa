// Package storetest is the conformance suite every media.Store
// implementation runs, so the local folder and S3 behave the same for the
// code above them. It performs real I/O and real HTTP requests against the
// store's signed URLs; import it from _test.go files only.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dakahq/daka/media"
)

// keySeq makes keys unique across subtests that share a store.
var keySeq atomic.Int64

// Key returns a fresh valid key under prefix "t/".
func Key(name string) string {
	return fmt.Sprintf("t/%s-%d.jpg", name, keySeq.Add(1))
}

// Run checks store against the media.Store contract. newStore returns the
// store under test; it may return the same store for every call. Signed URLs
// it produces must be reachable from the test process.
func Run(t *testing.T, newStore func(t *testing.T) media.Store) {
	t.Run("PutGetStatRoundTrip", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key, body := Key("rt"), bytes.Repeat([]byte("evidence"), 1000)
		mustPut(t, s, key, body, "image/jpeg")
		if got := mustGet(t, s, key); !bytes.Equal(got, body) {
			t.Errorf("Get returned %d bytes, want the %d put", len(got), len(body))
		}
		info, err := s.Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if info.Key != key || info.Size != int64(len(body)) || info.ContentType != "image/jpeg" || info.ModTime.IsZero() {
			t.Errorf("Stat = %+v", info)
		}
	})
	t.Run("NestedKeysAndUnknownSize", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key := "t/tenant-1/2024/05/" + strings.TrimPrefix(Key("nested"), "t/")
		if err := s.Put(ctx, key, strings.NewReader("abc"), -1, ""); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, s, key); string(got) != "abc" {
			t.Errorf("Get = %q", got)
		}
		if info, err := s.Stat(ctx, key); err != nil || info.ContentType != media.DefaultContentType {
			t.Errorf("Stat = %+v, %v; want the default content type", info, err)
		}
	})
	t.Run("PutReplaces", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		key := Key("replace")
		mustPut(t, s, key, []byte("old"), "text/plain")
		mustPut(t, s, key, []byte("new!"), "image/png")
		if got := mustGet(t, s, key); string(got) != "new!" {
			t.Errorf("Get = %q, want the second Put", got)
		}
		if info, _ := s.Stat(context.Background(), key); info.ContentType != "image/png" || info.Size != 4 {
			t.Errorf("Stat = %+v", info)
		}
	})
	t.Run("ShortReaderStoresNothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key := Key("short")
		if err := s.Put(ctx, key, strings.NewReader("12345"), 10, "image/jpeg"); err == nil {
			t.Fatal("Put with a short reader succeeded")
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, media.ErrObjectNotFound) {
			t.Errorf("Stat after failed Put = %v, want ErrObjectNotFound", err)
		}
	})
	t.Run("MissingObject", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key := Key("missing")
		if _, err := s.Get(ctx, key); !errors.Is(err, media.ErrObjectNotFound) {
			t.Errorf("Get = %v, want ErrObjectNotFound", err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, media.ErrObjectNotFound) {
			t.Errorf("Stat = %v, want ErrObjectNotFound", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete of a missing key = %v, want nil", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key := Key("delete")
		mustPut(t, s, key, []byte("x"), "image/jpeg")
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, key); !errors.Is(err, media.ErrObjectNotFound) {
			t.Errorf("Get after Delete = %v, want ErrObjectNotFound", err)
		}
	})
	t.Run("InvalidKeysAreRefused", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		for _, key := range []string{"", "/abs.jpg", "a/../b.jpg", "../escape", "a//b", "a/", ".meta/x", "sp ace.jpg", "ünï.jpg", "a\\b"} {
			errs := map[string]error{
				"Put":    s.Put(ctx, key, strings.NewReader("x"), 1, "image/jpeg"),
				"Delete": s.Delete(ctx, key),
			}
			_, errs["Get"] = s.Get(ctx, key)
			_, errs["Stat"] = s.Stat(ctx, key)
			_, errs["SignedGetURL"] = s.SignedGetURL(ctx, key, time.Minute)
			_, errs["SignedPutURL"] = s.SignedPutURL(ctx, key, time.Minute, "image/jpeg")
			for op, err := range errs {
				if !errors.Is(err, media.ErrInvalidKey) {
					t.Errorf("%s(%q) = %v, want ErrInvalidKey", op, key, err)
				}
			}
		}
	})
	t.Run("InvalidSignedURLArguments", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key := Key("args")
		for _, ttl := range []time.Duration{0, -time.Minute, media.MaxSignedURLTTL + time.Second} {
			if _, err := s.SignedGetURL(ctx, key, ttl); !errors.Is(err, media.ErrInvalidTTL) {
				t.Errorf("SignedGetURL ttl %v = %v, want ErrInvalidTTL", ttl, err)
			}
		}
		for _, ct := range []string{"", "not a type", "image/"} {
			if _, err := s.SignedPutURL(ctx, key, time.Minute, ct); !errors.Is(err, media.ErrInvalidContentType) {
				t.Errorf("SignedPutURL content type %q = %v, want ErrInvalidContentType", ct, err)
			}
		}
	})
	t.Run("SignedGetURL", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key, body := Key("sget"), []byte("signed get body")
		mustPut(t, s, key, body, "image/jpeg")
		u, err := s.SignedGetURL(ctx, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		status, got, hdr := do(t, http.MethodGet, u, nil, "")
		if status != http.StatusOK || !bytes.Equal(got, body) || hdr.Get("Content-Type") != "image/jpeg" {
			t.Errorf("GET signed URL = %d %q (%s)", status, got, hdr.Get("Content-Type"))
		}
		if status, _, _ := do(t, http.MethodPut, u, []byte("overwrite"), "image/jpeg"); status != http.StatusForbidden {
			t.Errorf("PUT with a GET URL = %d, want 403", status)
		}
		if status, _, _ := do(t, http.MethodGet, tamper(u), nil, ""); status != http.StatusForbidden {
			t.Errorf("GET with a tampered signature = %d, want 403", status)
		}
		other := Key("sget-other")
		mustPut(t, s, other, []byte("other"), "image/jpeg")
		if status, _, _ := do(t, http.MethodGet, strings.Replace(u, key, other, 1), nil, ""); status != http.StatusForbidden {
			t.Errorf("GET of another key with this signature = %d, want 403", status)
		}
	})
	t.Run("SignedPutURL", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), context.Background()
		key, body := Key("sput"), []byte("uploaded directly")
		u, err := s.SignedPutURL(ctx, key, time.Minute, "image/jpeg")
		if err != nil {
			t.Fatal(err)
		}
		if status, _, _ := do(t, http.MethodPut, u, body, "image/png"); status != http.StatusForbidden {
			t.Errorf("PUT with a different Content-Type = %d, want 403", status)
		}
		if status, _, _ := do(t, http.MethodPut, u, body, "image/jpeg"); status != http.StatusOK {
			t.Fatalf("PUT signed URL = %d, want 200", status)
		}
		if got := mustGet(t, s, key); !bytes.Equal(got, body) {
			t.Errorf("object = %q, want %q", got, body)
		}
		if info, _ := s.Stat(ctx, key); info.ContentType != "image/jpeg" {
			t.Errorf("content type %q, want image/jpeg", info.ContentType)
		}
		if status, _, _ := do(t, http.MethodGet, u, nil, ""); status != http.StatusForbidden {
			t.Errorf("GET with a PUT URL = %d, want 403", status)
		}
	})
}

// ExpiredURL checks that a URL signed with a lifetime of ttl is refused
// after it passes; advance moves the store's clock (or waits).
func ExpiredURL(t *testing.T, s media.Store, ttl time.Duration, advance func(time.Duration)) {
	t.Helper()
	ctx := context.Background()
	key := Key("expired")
	mustPut(t, s, key, []byte("x"), "image/jpeg")
	u, err := s.SignedGetURL(ctx, key, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := do(t, http.MethodGet, u, nil, ""); status != http.StatusOK {
		t.Fatalf("fresh URL = %d, want 200", status)
	}
	advance(ttl + 2*time.Second)
	if status, _, _ := do(t, http.MethodGet, u, nil, ""); status != http.StatusForbidden {
		t.Errorf("expired URL = %d, want 403", status)
	}
}

// tamper flips the last hex digit of the URL's signature parameter.
func tamper(u string) string {
	i := strings.LastIndexAny(u, "0123456789abcdef")
	c := byte('0')
	if u[i] == '0' {
		c = '1'
	}
	return u[:i] + string(c) + u[i+1:]
}

func mustPut(t *testing.T, s media.Store, key string, body []byte, ct string) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(body), int64(len(body)), ct); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

func mustGet(t *testing.T, s media.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// do sends a plain net/http request, as a phone or browser would.
func do(t *testing.T, method, url string, body []byte, contentType string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}
