// Command punchload drives POST /v1/me/punches against a running Daka and
// reports throughput and latency percentiles. It signs in -employees
// employees of the tenant (created beforehand by bench/punches.sh) and sends
// punches from them, round robin, either as fast as -c workers can
// (closed loop) or at a fixed -rate per second (open loop, for latency at a
// given load). It only ever targets the -url it is given (loopback in the
// scripts) and stops after -d.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	tenant := flag.String("tenant", "bench", "tenant slug")
	employees := flag.Int("employees", 200, "employees E00001..E<n> to sign in")
	password := flag.String("password", "bench-password", "their password")
	conc := flag.Int("c", 32, "concurrent workers")
	rate := flag.Float64("rate", 0, "requests per second (0: as fast as the workers go)")
	dur := flag.Duration("d", 20*time.Second, "duration")
	lat := flag.Float64("lat", 31.2304, "punch latitude (WGS-84)")
	lng := flag.Float64("lng", 121.4737, "punch longitude (WGS-84)")
	flag.Parse()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2, MaxConnsPerHost: *conc * 2}, Timeout: 30 * time.Second}
	tokens := make([]string, *employees)
	for i := range tokens {
		body, _ := json.Marshal(map[string]string{"tenant": *tenant, "login": fmt.Sprintf("E%05d", i+1), "password": *password})
		resp, err := client.Post(*base+"/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil || resp.StatusCode != 200 {
			fmt.Fprintf(os.Stderr, "login E%05d: %v %v\n", i+1, err, resp)
			os.Exit(1)
		}
		var t struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&t)
		resp.Body.Close()
		tokens[i] = t.AccessToken
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    atomic.Int64
		next      atomic.Int64
	)
	send := func() {
		i := next.Add(1)
		id := fmt.Sprintf("%08x-%04x-7%03x-8%03x-%012x", rand.Uint32(), rand.Uint32()&0xffff, rand.Uint32()&0xfff, rand.Uint32()&0xfff, rand.Uint64()&0xffffffffffff)
		body := fmt.Sprintf(`{"client_punch_id":"%s","kind":"in","location":{"lat":%.6f,"lng":%.6f,"accuracy_m":15,"crs":"wgs84"}}`,
			id, *lat+rand.Float64()*0.0005, *lng+rand.Float64()*0.0005)
		req, _ := http.NewRequest("POST", *base+"/v1/me/punches", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokens[int(i)%len(tokens)])
		start := time.Now()
		resp, err := client.Do(req)
		d := time.Since(start)
		if err != nil || resp.StatusCode != 201 {
			errors.Add(1)
			if resp != nil {
				resp.Body.Close()
			}
			return
		}
		resp.Body.Close()
		mu.Lock()
		latencies = append(latencies, d)
		mu.Unlock()
	}

	start := time.Now()
	deadline := start.Add(*dur)
	var wg sync.WaitGroup
	if *rate > 0 {
		work := make(chan struct{}, *conc*4)
		for w := 0; w < *conc; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					send()
				}
			}()
		}
		interval := time.Duration(float64(time.Second) / *rate)
		for t := start; t.Before(deadline); t = t.Add(interval) {
			time.Sleep(time.Until(t))
			select {
			case work <- struct{}{}:
			default:
				errors.Add(1) // the server fell behind the offered load
			}
		}
		close(work)
	} else {
		for w := 0; w < *conc; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					send()
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	out := map[string]any{
		"ok": len(latencies), "errors": errors.Load(), "seconds": elapsed.Seconds(),
		"per_second": float64(len(latencies)) / elapsed.Seconds(),
		"p50_ms":     float64(pct(0.50).Microseconds()) / 1000, "p90_ms": float64(pct(0.90).Microseconds()) / 1000,
		"p99_ms": float64(pct(0.99).Microseconds()) / 1000, "max_ms": float64(pct(1).Microseconds()) / 1000,
		"concurrency": *conc, "offered_rate": *rate,
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
