package hikisapi

import (
	"bytes"
	"testing"
)

func BenchmarkParseEvent(b *testing.B) {
	picture := append(bytes.Clone(tinyJPEG), bytes.Repeat([]byte{0x55}, 40<<10)...) // ~40 KB snapshot
	tests := []struct {
		name string
		ct   string
		body []byte
	}{
		{"JSON", "application/json", []byte(faceEventJSON)},
		{"MultipartWithPicture40KB", multipartCT, c2Multipart(faceEventJSON, picture)},
		{"Heartbeat", "application/json", []byte(heartbeatJSON)},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseEvent(tt.ct, tt.body, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
