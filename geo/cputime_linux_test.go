package geo

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time consumed by the calling OS thread. Benchmarks
// lock their goroutine to a thread and report CPU time per op next to wall
// time, because the build machine is shared and wall time includes waiting
// for a core.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD, Linux only
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
