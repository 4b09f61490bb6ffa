//go:build !unix

package media

import "time"

// cpuTime is unavailable without getrusage; cpu-ms/op then reads 0.
func cpuTime() time.Duration { return 0 }
