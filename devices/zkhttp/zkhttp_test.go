package zkhttp

import (
	"strings"
	"testing"
)

func TestEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want string }{
		{"/iclock/cdata", "cdata"},
		{"/iclock/cdata.aspx", "cdata"},
		{"/ICLOCK/CData.ASPX", "cdata"},
		{"/iclock/getrequest", "getrequest"},
		{"/iclock/devicecmd/", "devicecmd"},
		{"/iclock/fdata.aspx", "fdata"},
		{"/iclock/registry", "registry"},
		{"/iclock/shell", ""},
		{"/iclock/", ""},
		{"/iclock", ""},
		{"/icloc/cdata", ""},
		{"/v1/iclock/cdata", ""},
	} {
		if got := Endpoint(tc.path); got != tc.want {
			t.Errorf("Endpoint(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func FuzzEndpoint(f *testing.F) {
	for _, s := range []string{"/iclock/cdata", "/ICLOCK/getrequest.aspx", "/iclock/", "", "/iclock/cdata.aspx.aspx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		e := Endpoint(path)
		if e == "" {
			return
		}
		if !endpoints[e] || !strings.EqualFold(path[:8], "/iclock/") {
			t.Fatalf("Endpoint(%q) = %q", path, e)
		}
	})
}
