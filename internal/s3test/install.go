package s3test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// binary finds versitygw, installing it if it is nowhere to be found.
func binary() (string, error) {
	if p := os.Getenv("DAKA_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("DAKA_VERSITYGW: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gobin, err := goBin()
	if err != nil {
		return "", err
	}
	exe := filepath.Join(gobin, "versitygw")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if isFile(exe) {
		return exe, nil
	}
	if err := os.MkdirAll(gobin, 0o755); err != nil {
		return "", err
	}
	// Test binaries of several packages run in parallel; only one may run
	// go install, the others wait and then find the binary.
	unlock, err := lockFile(filepath.Join(gobin, ".versitygw-install.lock"))
	if err != nil {
		return "", fmt.Errorf("lock install: %w", err)
	}
	defer unlock()
	if isFile(exe) {
		return exe, nil
	}
	if err := install(gobin); err != nil {
		return "", err
	}
	if !isFile(exe) {
		return "", fmt.Errorf("go install succeeded but %s is missing", exe)
	}
	return exe, nil
}

// goBin is where go install puts binaries: GOBIN, else the first GOPATH
// entry's bin folder.
func goBin() (string, error) {
	out, err := exec.Command("go", "env", "-json", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	var env struct{ GOBIN, GOPATH string }
	if err := json.Unmarshal(out, &env); err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	if env.GOBIN != "" {
		return env.GOBIN, nil
	}
	if gopath := filepath.SplitList(env.GOPATH); len(gopath) > 0 && gopath[0] != "" {
		return filepath.Join(gopath[0], "bin"), nil
	}
	return "", errors.New("go env: neither GOBIN nor GOPATH is set")
}

func install(gobin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", installPath+"@"+Version)
	// Outside any module or workspace, so Daka's go.mod cannot interfere.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOWORK=off", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go install %s@%s: %w\n%s", installPath, Version, err, out)
	}
	return nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
