package empsheet

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// realisticRows makes n valid rows that look like a Chinese company's
// roster: three-character names, department paths, managers from earlier
// rows, phones, emails, a few sites and card numbers. Deterministic.
func realisticRows(n int) [][]string {
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
	given := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅")
	depts := []string{"研发/后端", "研发/前端", "研发/测试", "市场/品牌", "销售/华东", "销售/华北", "财务", "人事/招聘", "运营/客服"}
	sites := []string{"总部", "上海办公室", "北京办公室;总部", "深圳仓库", ""}
	roles := []string{"员工", "员工", "员工", "员工", "经理", "employee", "admin"}
	out := make([][]string, 0, n+1)
	head := make([]string, 0, numColumns)
	for _, c := range columns {
		head = append(head, c.Header())
	}
	out = append(out, head)
	for i := range n {
		mgr := ""
		if i >= 10 {
			mgr = fmt.Sprintf("%06d", i/10)
		}
		status := "在职"
		if i%17 == 0 {
			status = "离职"
		}
		name := string([]rune{surnames[i%len(surnames)], given[(i/7)%len(given)], given[(i/3+5)%len(given)]})
		out = append(out, []string{
			fmt.Sprintf("%06d", i),
			name,
			depts[i%len(depts)],
			mgr,
			fmt.Sprintf("user%06d@example.com", i),
			fmt.Sprintf("139%08d", i),
			"Asia/Shanghai",
			roles[i%len(roles)],
			status,
			sites[i%len(sites)],
			fmt.Sprintf("%010d", 4000000+i),
		})
	}
	return out
}

func realisticCSV(tb testing.TB, n int) []byte {
	return csvOf(tb, realisticRows(n)...)
}

// realisticXLSX fills the template's data sheet with the rows, as an admin
// would; cells become shared strings, as Excel saves them.
func realisticXLSX(tb testing.TB, n int) []byte {
	tb.Helper()
	tmpl, err := Template()
	if err != nil {
		tb.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(tmpl))
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	for i, row := range realisticRows(n)[1:] {
		if err := f.SetSheetRow(DataSheet, fmt.Sprintf("A%d", i+2), &row); err != nil {
			tb.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// peakHeap runs fn and returns the highest live heap seen while it ran,
// above the live heap before it, sampling runtime/metrics every 100µs.
func peakHeap(fn func()) uint64 {
	const name = "/memory/classes/heap/objects:bytes"
	sample := []metrics.Sample{{Name: name}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak - base
}

// TestMemoryParse10k checks that 10,000 rows import in bounded memory. It
// is deliberately not parallel: top-level parallel tests wait until the
// sequential ones have finished, so nothing else allocates meanwhile.
func TestMemoryParse10k(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10,000-row files")
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"XLSX", realisticXLSX(t, 10_000)},
		{"CSV", realisticCSV(t, 10_000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var res *Result
			var err error
			start := time.Now()
			peak := peakHeap(func() { res, err = Parse(bytes.NewReader(tt.data), Options{}) })
			took := time.Since(start)
			if err != nil || len(res.Rows) != 10_000 || len(res.Errors) != 0 {
				t.Fatalf("err %v rows %d errors %v", err, len(res.Rows), res.Errors)
			}
			t.Logf("%d bytes, %v, peak heap %.1f MiB", len(tt.data), took, float64(peak)/(1<<20))
			if peak > 256<<20 {
				t.Fatalf("peak heap %d MiB", peak>>20)
			}
		})
	}
}

func benchmarkParse(b *testing.B, data []byte) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	peak := peakHeap(func() {
		if _, err := Parse(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	})
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := Parse(bytes.NewReader(data), Options{})
		if err != nil || len(res.Rows) != 10_000 {
			b.Fatalf("err %v", err)
		}
	}
	// CPU time (including the GC's) is steadier than wall time on a
	// machine whose two cores are shared with other work.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParseXLSX10k parses 10,000 realistic rows from an .xlsx.
func BenchmarkParseXLSX10k(b *testing.B) {
	benchmarkParse(b, realisticXLSX(b, 10_000))
}

// BenchmarkParseCSV10k parses the same 10,000 rows from a UTF-8 CSV.
func BenchmarkParseCSV10k(b *testing.B) {
	benchmarkParse(b, realisticCSV(b, 10_000))
}
