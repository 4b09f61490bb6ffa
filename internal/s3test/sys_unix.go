//go:build linux || darwin

package s3test

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive advisory lock on path, blocking until it is
// free. The lock is released by the returned function or by process exit.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// xattrSupported reports whether dir's file system takes user extended
// attributes, which versitygw's posix backend uses for metadata.
func xattrSupported(dir string) bool {
	return unix.Setxattr(dir, "user.daka.probe", []byte("1"), 0) == nil
}
