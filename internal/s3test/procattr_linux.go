package s3test

import "syscall"

// sysProcAttr makes the kernel kill versitygw if the test process dies
// without stopping it (a crash, a timeout, a missing TestMain).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
