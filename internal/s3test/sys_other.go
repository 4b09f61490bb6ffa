//go:build !(linux || darwin)

package s3test

import (
	"errors"
	"runtime"
)

// errUnsupportedOS: versitygw's posix backend, and the file locking used to
// install it, need Linux or macOS.
var errUnsupportedOS = errors.New("s3test: versitygw's posix backend needs linux or darwin, not " + runtime.GOOS)

func lockFile(string) (func(), error) { return nil, errUnsupportedOS }

func xattrSupported(string) bool { return false }
