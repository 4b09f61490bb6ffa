package localstore

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dakahq/daka/media"
)

// Handler serves signed URLs: GET and HEAD stream the object (with Range
// support), PUT stores the body (at most Options.MaxPutBytes, with exactly
// the signed Content-Type). Anything not validly signed gets 403 before the
// object is looked at. Mount it, without stripping the prefix, where BaseURL
// plus MountPath points, e.g. mux.Handle("/v1/media/", store.Handler()) or
// echo's e.Any("/v1/media/*", echo.WrapHandler(store.Handler())).
func (s *Store) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Store) serveHTTP(w http.ResponseWriter, r *http.Request) {
	_, key, ok := strings.Cut(r.URL.Path, MountPath)
	q := r.URL.Query()
	expires, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if !ok || err != nil || media.ValidateKey(key) != nil {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	now := s.now()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if s.VerifySignature(key, http.MethodGet, expires, q.Get("sig"), now) != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		s.serveGet(w, r, key, expires, now)
	case http.MethodPut:
		ct := q.Get("ct")
		if s.VerifyPutSignature(key, ct, expires, q.Get("sig"), now) != nil || r.Header.Get("Content-Type") != ct {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		s.servePut(w, r, key, ct)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Store) serveGet(w http.ResponseWriter, r *http.Request, key string, expires int64, now time.Time) {
	f, fi, err := s.open(key)
	if errors.Is(err, media.ErrObjectNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", s.contentType(key))
	// Caches may keep the object no longer than the URL is valid.
	h.Set("Cache-Control", fmt.Sprintf("private, max-age=%d", max(0, expires-now.Unix())))
	// Uploaded bytes are untrusted: never sniff them into HTML or run scripts
	// should a browser open one as a document.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

func (s *Store) servePut(w http.ResponseWriter, r *http.Request, key, contentType string) {
	if r.ContentLength > s.max {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body := &readErrRecorder{r: http.MaxBytesReader(w, r.Body, s.max)}
	err := s.Put(r.Context(), key, body, r.ContentLength, contentType)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusOK)
	case errors.As(err, &tooLarge):
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
	case body.err != nil || errors.Is(err, errSizeMismatch):
		http.Error(w, "incomplete request body", http.StatusBadRequest)
	default:
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// readErrRecorder remembers a read error so a failed upload can be blamed on
// the client (400) rather than on the disk (500).
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (b *readErrRecorder) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}
