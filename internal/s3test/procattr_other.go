//go:build !linux

package s3test

import "syscall"

// sysProcAttr has no parent-death signal outside Linux; Main's Stop is the
// only way the server ends there.
func sysProcAttr() *syscall.SysProcAttr { return nil }
