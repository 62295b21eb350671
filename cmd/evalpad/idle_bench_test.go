package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuTime reads the CPU time a process has used: the sum over its threads
// of /proc/PID/task/TID/schedstat (nanoseconds on a CPU). Threads that
// ended are not counted; the Go runtime keeps its threads.
func cpuTime(b *testing.B, pid int) time.Duration {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		b.Skip("no schedstat: ", err)
	}
	var sum time.Duration
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		ns, err := strconv.ParseInt(strings.Fields(string(data))[0], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		sum += time.Duration(ns)
	}
	return sum
}

// BenchmarkIdleCPU measures the CPU a running `evalpad sim` uses while
// nobody presses anything, over a minute (EVALPAD_IDLE_SECONDS overrides),
// as a percentage of one core. It runs once whatever -benchtime says:
// go test -run '^$' -bench IdleCPU ./cmd/evalpad
func BenchmarkIdleCPU(b *testing.B) {
	secs := 60
	if s, err := strconv.Atoi(os.Getenv("EVALPAD_IDLE_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	c := startSim(b, "--data", b.TempDir())
	c.call("GET", "/api/v1/state", nil, nil)
	c.call("GET", "/sim/screen.png", nil, nil) // a frame rendered, as a panel would have
	time.Sleep(2 * time.Second)                // let start-up settle
	b.ResetTimer()
	t0 := cpuTime(b, c.cmd.Process.Pid)
	time.Sleep(time.Duration(secs) * time.Second)
	used := cpuTime(b, c.cmd.Process.Pid) - t0
	b.StopTimer()
	b.ReportMetric(used.Seconds()/float64(secs)*100, "cpu-%")
	b.ReportMetric(float64(used.Microseconds())/1000, "cpu-ms")
	b.ReportMetric(float64(rssKB(b, c.cmd.Process.Pid))/1024, "rss-MiB")
}

// rssKB reads VmRSS of a process, in KiB.
func rssKB(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}
