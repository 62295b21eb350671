package main

import (
	"os"
	"strconv"
	"testing"
	"time"

	"evalpad/sync/mqtttest"
)

// BenchmarkIdleCPUSynced is BenchmarkIdleCPU with the MQTT link connected
// to a Mosquitto and nothing to send: the link must wait on channels, not
// poll (its only timers are the keepalive and the status refresh).
// go test -run '^$' -bench IdleCPUSynced ./cmd/evalpad
func BenchmarkIdleCPUSynced(b *testing.B) {
	secs := 60
	if s, err := strconv.Atoi(os.Getenv("EVALPAD_IDLE_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	mq := mqtttest.Start(b)
	c := startSim(b, "--data", b.TempDir(), "--broker", mq.URL())
	c.call("GET", "/api/v1/state", nil, nil)
	time.Sleep(2 * time.Second) // let start-up settle: connect, subscribe, status
	b.ResetTimer()
	t0 := cpuTime(b, c.cmd.Process.Pid)
	time.Sleep(time.Duration(secs) * time.Second)
	used := cpuTime(b, c.cmd.Process.Pid) - t0
	b.StopTimer()
	b.ReportMetric(used.Seconds()/float64(secs)*100, "cpu-%")
	b.ReportMetric(float64(used.Microseconds())/1000, "cpu-ms")
}
