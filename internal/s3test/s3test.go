// Package s3test runs a real S3 server for tests: versitygw (Apache-2.0)
// with its posix backend on 127.0.0.1, one per test binary, with a fresh
// bucket name per test. It checks SigV4 signatures like AWS does, so tests
// against it prove authentication, presigning and error handling, which
// in-process fakes do not.
//
// The binary is found in $DAKA_VERSITYGW, then PATH, then
// $(go env GOBIN) or $(go env GOPATH)/bin; failing that it is installed
// once with "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
// (needs the go command and the module proxy; about 1.5 minutes on two
// cores), under a file lock so parallel test binaries do not race. Tests
// never skip for a missing binary.
//
// Use it with a TestMain so the server stops when the binary ends:
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
//
// On Linux the server also dies with the test process (parent-death signal),
// so a crashed test binary leaves no server behind.
package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Version is the versitygw release the helper installs.
const Version = "v1.8.0"

const installPath = "github.com/versity/versitygw/cmd/versitygw"

// Region is the region the server runs with.
const Region = "us-east-1"

// Server is the shared S3 server as seen by one test.
type Server struct {
	// Endpoint is host:port, the form minio-go's New takes.
	Endpoint string
	// URL is http://Endpoint.
	URL string
	// AccessKey and SecretKey are the root credentials, random per test
	// binary.
	AccessKey, SecretKey string
	// Region is the server's region.
	Region string
	// Bucket is a valid bucket name unique to this Start call. The bucket
	// does not exist yet; the code under test creates it.
	Bucket string
}

var (
	mu        sync.Mutex
	shared    *process
	sharedErr error
	bucketSeq atomic.Int64
)

// Start returns the shared server, starting it (and installing versitygw)
// on first use. It fails the test if the server cannot run.
func Start(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = startProcess()
	}
	p, err := shared, sharedErr
	mu.Unlock()
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return &Server{
		Endpoint:  p.endpoint,
		URL:       "http://" + p.endpoint,
		AccessKey: p.accessKey,
		SecretKey: p.secretKey,
		Region:    Region,
		Bucket:    bucketName(t.Name()),
	}
}

// Main runs the tests and then stops the shared server; call it from
// TestMain. It does not return.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop terminates the shared server, if one is running, and removes its
// data. A later Start starts a new one.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.stop()
	}
	shared, sharedErr = nil, nil
}

// bucketName derives a valid S3 bucket name (3–63 of [a-z0-9-], starting and
// ending alphanumeric) from a test name plus a sequence number.
func bucketName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := fmt.Sprintf("t%d-%s", bucketSeq.Add(1), b.String())
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-")
}

// process is a running versitygw.
type process struct {
	cmd                  *exec.Cmd
	dir                  string
	endpoint             string
	accessKey, secretKey string
	exited               chan struct{}
}

func startProcess() (*process, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	// A port picked from a closed listener can be taken before versitygw
	// binds it; retry a few times on a fresh one.
	var errs []error
	for range 3 {
		p, err := launch(bin)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func launch(bin string) (*process, error) {
	dir, err := os.MkdirTemp("", "daka-s3test-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &process{
		dir:       dir,
		endpoint:  fmt.Sprintf("127.0.0.1:%d", port),
		accessKey: "DAKA" + strings.ToUpper(randomHex(8)),
		secretKey: randomHex(20),
		exited:    make(chan struct{}),
	}
	args := []string{"--port", p.endpoint, "--access", p.accessKey, "--secret", p.secretKey,
		"--region", Region, "--quiet", "posix"}
	// The posix backend keeps object metadata (content type, etags) in
	// extended attributes; on file systems without user xattrs (some tmpfs)
	// it needs a sidecar directory instead.
	if !xattrSupported(data) {
		sidecar := filepath.Join(dir, "meta")
		if err := os.Mkdir(sidecar, 0o700); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		args = append(args, "--sidecar", sidecar)
	}
	args = append(args, data)

	logPath := filepath.Join(dir, "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = sysProcAttr()

	// The parent-death signal (Linux) fires when the thread that started
	// the child exits, so start it from a goroutine locked to its thread that
	// lives exactly as long as the child.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		logFile.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := p.waitReady(30 * time.Second); err != nil {
		p.stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("versitygw on %s: %w; log:\n%s", p.endpoint, err, tail(log, 2000))
	}
	return p, nil
}

// waitReady polls until the server answers HTTP at all (an anonymous request
// gets 403, which is fine) or the process exits.
func (p *process) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return errors.New("exited during startup")
		default:
		}
		if resp, err := client.Get("http://" + p.endpoint + "/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not answering after %v", timeout)
}

func (p *process) stop() {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
	os.RemoveAll(p.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
