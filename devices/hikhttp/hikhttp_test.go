package hikhttp

import (
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want string }{
		{"/hik/events/abc", "abc"},
		{"/hik/events/abc/", "abc"},
		{"/hik/events/", ""},
		{"/hik/events/a/b", ""},
		{"/hik/event/abc", ""},
		{"/hik/events/" + strings.Repeat("x", 129), ""},
	} {
		if got := Token(tc.path); got != tc.want {
			t.Errorf("Token(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func FuzzToken(f *testing.F) {
	f.Add("/hik/events/abc")
	f.Add("/hik/events//")
	f.Fuzz(func(t *testing.T, path string) {
		tok := Token(path)
		if tok != "" && (strings.ContainsAny(tok, "/?#") || len(tok) > 128 || !strings.HasPrefix(path, Prefix+tok)) {
			t.Fatalf("Token(%q) = %q", path, tok)
		}
	})
}
