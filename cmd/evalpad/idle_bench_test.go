package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuTicks reads utime+stime of a process from /proc/PID/stat, in clock ticks.
func cpuTicks(b *testing.B, pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name in parentheses; utime and stime are the
	// 14th and 15th fields of the whole line.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// BenchmarkIdleCPU measures the CPU a running `evalpad sim` uses while
// nobody presses anything, over a minute (EVALPAD_IDLE_SECONDS overrides),
// as a percentage of one core. Run it alone: go test -run '^$' -bench IdleCPU ./cmd/evalpad
func BenchmarkIdleCPU(b *testing.B) {
	secs := 60
	if s, err := strconv.Atoi(os.Getenv("EVALPAD_IDLE_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	c := startSim(b, "--data", b.TempDir())
	c.call("GET", "/api/v1/state", nil, nil)
	time.Sleep(2 * time.Second) // let start-up settle
	const clkTck = 100          // USER_HZ on Linux
	b.ResetTimer()
	t0 := cpuTicks(b, c.cmd.Process.Pid)
	time.Sleep(time.Duration(secs) * time.Second)
	ticks := cpuTicks(b, c.cmd.Process.Pid) - t0
	b.StopTimer()
	b.ReportMetric(float64(ticks)/clkTck/float64(secs)*100, "cpu-%")
	b.ReportMetric(float64(secs), "seconds")
	for i := 1; i < b.N; i++ { // one measurement is the benchmark; b.N is 1
	}
}
