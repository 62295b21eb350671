package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"evalpad/central"
	"evalpad/sync/mqtttest"
)

// TestLogsHideBrokerPassword: evalhub given a broker URL with a password
// connects with it and logs the broker without it.
func TestLogsHideBrokerPassword(t *testing.T) {
	mq := mqtttest.Start(t) // anonymous allowed: the password is taken and ignored
	broker := strings.Replace(mq.URL(), "tcp://", "tcp://hub:brokerpw-secret@", 1)
	var logs bytes.Buffer // slog's handler serializes the writes; read once Run has returned
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := Start(context.Background(), Options{Hub: central.HubOptions{Broker: broker, Logger: log},
		Listen: "127.0.0.1:0", Data: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, s) // waits until the hub subscribed: it has logged its connection
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Contains(out, "brokerpw-secret") {
		t.Errorf("the log shows the broker password:\n%s", out)
	}
	if !strings.Contains(out, "hub:xxxxx@") || !strings.Contains(out, "evalhub: connected") {
		t.Errorf("the log does not name the broker, redacted:\n%s", out)
	}
}
