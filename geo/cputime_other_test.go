//go:build !linux

package geo

import "time"

// threadCPU is unavailable off Linux; benchmarks then report wall time only.
func threadCPU() time.Duration { return 0 }
