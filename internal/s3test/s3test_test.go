package s3test

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestStartServesS3(t *testing.T) {
	t.Parallel()
	a, b := Start(t), Start(t)
	if a.Endpoint != b.Endpoint || a.SecretKey != b.SecretKey {
		t.Errorf("two Starts in one binary gave different servers: %s, %s", a.Endpoint, b.Endpoint)
	}
	if a.Bucket == b.Bucket {
		t.Errorf("two Starts share bucket %s", a.Bucket)
	}
	if !strings.HasPrefix(a.URL, "http://127.0.0.1:") || a.Region != "us-east-1" || a.AccessKey == "" || len(a.SecretKey) < 20 {
		t.Errorf("server = %+v", a)
	}
	resp, err := http.Get(a.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous ListBuckets = %d, want 403 from a server that checks signatures", resp.StatusCode)
	}
}

func TestBucketName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	for _, name := range []string{
		"TestX", "TestStore/PutGet_Round-trip", strings.Repeat("VeryLongTestName", 10), "Test/#01/ü",
	} {
		if got := bucketName(name); !valid.MatchString(got) {
			t.Errorf("bucketName(%q) = %q, not a valid bucket name", name, got)
		}
	}
}

func TestGoBin(t *testing.T) {
	t.Setenv("GOBIN", "")
	t.Setenv("GOPATH", "/first/gopath"+string(filepath.ListSeparator)+"/second")
	if got, err := goBin(); err != nil || got != filepath.Join("/first/gopath", "bin") {
		t.Errorf("goBin with GOPATH = %q, %v", got, err)
	}
	t.Setenv("GOBIN", "/custom/bin")
	if got, err := goBin(); err != nil || got != "/custom/bin" {
		t.Errorf("goBin with GOBIN = %q, %v", got, err)
	}
}
