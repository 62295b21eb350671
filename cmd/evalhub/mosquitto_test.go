package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"evalpad/central/centraltest"
	"evalpad/central/server"
	"evalpad/sync/mqtttest"
)

// shippedMosquitto runs Mosquitto with scripts/mosquitto/mosquitto.conf as
// shipped, but for its paths (dir instead of /etc/mosquitto/evalhub), its
// port (a free one), persistence (off) and logging; certificates made by
// scripts/mosquitto/make-certs. It returns the broker's URL and a func
// that makes it read its password and ACL files again (SIGHUP).
func shippedMosquitto(t *testing.T, dir string) (url string, reload func()) {
	t.Helper()
	bin, err := exec.LookPath(mqtttest.Binary)
	if err != nil {
		if bin, err = exec.LookPath("mosquitto"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("mosquitto not installed and CI is set")
			}
			t.Skip("mosquitto not installed")
		}
	}
	if out, err := exec.Command("bash", "../../scripts/mosquitto/make-certs", dir, "127.0.0.1", "localhost").CombinedOutput(); err != nil {
		t.Fatalf("make-certs: %v\n%s", err, out)
	}
	conf, err := os.ReadFile("../../scripts/mosquitto/mosquitto.conf")
	if err != nil {
		t.Fatal(err)
	}
	port := mqtttest.FreePort(t)
	text := strings.ReplaceAll(string(conf), "/etc/mosquitto/evalhub", dir)
	for from, to := range map[string]string{"listener 8883": fmt.Sprintf("listener %d 127.0.0.1", port),
		"persistence true": "persistence false", "persistence_location /var/lib/mosquitto/": ""} {
		if !strings.Contains(text, from) {
			t.Fatalf("the shipped mosquitto.conf has no %q", from)
		}
		text = strings.Replace(text, from, to, 1)
	}
	text += "log_dest stderr\nlog_type error\nlog_type warning\n"
	if os.Geteuid() == 0 {
		text += "user root\n" // else mosquitto drops to user mosquitto and cannot read the test's files
	}
	path := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("mosquitto's log:\n%s", log.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	centraltest.Eventually(t, "mosquitto to listen", func() bool {
		select {
		case <-done:
			t.Fatalf("mosquitto exited: %s", log.String())
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "ssl://" + addr, func() { cmd.Process.Signal(syscall.SIGHUP) }
}

// TestShippedMosquitto: the Mosquitto of scripts/mosquitto (TLS, no
// anonymous clients, the password and ACL files of evalhub broker-users,
// client ids bound to user names) in front of evalhub: pads enroll over
// HTTP, the files are written again and Mosquitto reloaded, and then
//   - the broker itself refuses another pad's credentials everything on
//     this pad's topics and the central's group, and anonymous clients
//     (centraltest.ProbeBroker);
//   - signed records go through it and come back acked and signed;
//   - after a pad's credentials were renewed, its old password is refused.
func TestShippedMosquitto(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	t.Setenv("EVALHUB_BROKER_PASSWORD", "central-"+centraltest.RecordID(42))
	users := []string{"broker-users", "--out", dir, "--central-user", "$evalhub,$probe", "--data", data}
	command(t, users...) // before evalhub starts: the central's users only, no pads yet
	url, reload := shippedMosquitto(t, dir)
	base, _ := hub(t, "--broker", url, "--broker-ca", filepath.Join(dir, "ca.crt"), "--broker-user", "$evalhub", "--data", data)

	a, b := centraltest.NewPad("TA-A"), centraltest.NewPad("TA-B")
	for _, p := range []*centraltest.Pad{a, b} {
		code, _ := command(t, "enroll", "--device", p.ID, "--data", data)
		p.Enroll(t, base, code)
	}
	if a.Enrolled.Broker != url || !strings.Contains(a.Enrolled.CA, "BEGIN CERTIFICATE") {
		t.Fatalf("pads are told broker %q with CA %.40q", a.Enrolled.Broker, a.Enrolled.CA)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(a.Enrolled.CA)) {
		t.Fatal("the CA handed to pads does not parse")
	}
	tlsc := &tls.Config{RootCAs: pool}
	command(t, users...)
	reload()
	centraltest.Eventually(t, "Mosquitto to know the pads", func() bool {
		c, err := centraltest.Dial(url, tlsc, centraltest.PadCreds(a), "")
		if err == nil {
			c.Disconnect(0)
		}
		return err == nil
	})
	if _, err := centraltest.Dial(url, nil, centraltest.PadCreds(a), ""); err == nil {
		t.Error("a pad connected without checking the broker's certificate against the CA")
	}
	// Mosquitto 2.0 grants any subscription and checks what it delivers: b
	// gets nothing, and cannot join a group whose name it does not know
	// (evalhub's is a secret kept in its database, server.NewGroup).
	centraltest.ProbeBroker(t, url, tlsc, a, b, centraltest.Creds{User: "$probe", Password: os.Getenv("EVALHUB_BROKER_PASSWORD")},
		centraltest.Probe{Group: server.NewGroup(), AttackerGroup: "evalhub"})

	cl := a.Connect(t, url, tlsc)
	send(t, a, cl, 20)
	cl.Disconnect(0)

	old := a.Enrolled.Password
	code, _ := command(t, "enroll", "--device", a.ID, "--data", data)
	a.Enroll(t, base, code)
	command(t, users...)
	reload()
	centraltest.Eventually(t, "the old password refused", func() bool {
		c, err := centraltest.Dial(url, tlsc, centraltest.Creds{User: a.ID, Password: old, ClientID: a.ID}, "")
		if err == nil {
			c.Disconnect(0)
		}
		return err != nil
	})
	cl = a.Connect(t, url, tlsc)
	send(t, a, cl, 5)
}
