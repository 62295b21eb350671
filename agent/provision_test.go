package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/agent/agenttest"
	"evalpad/agent/config"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// centralKey is the tests' central's key.
func centralKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed([]byte("agent test central key, 32 byte" + "s"))
}

// enrollRig is a fake central's enrollment over HTTPS and the CA file a
// technician passes to verify it.
type enrollRig struct {
	e    *agenttest.Enroller
	url  string
	ca   string // --ca
	said []string
	mu   sync.Mutex
}

func newEnrollRig(t *testing.T) *enrollRig {
	t.Helper()
	e := &agenttest.Enroller{Key: centralKey(), Broker: "ssl://mqtt.example.gov.cn:8883",
		Config: &protocol.Config{Hall: ptr("泰山区政务服务中心"), Window: ptr("7"), Staff: &protocol.ConfigStaff{ID: "TA0456", Name: "王五"}}}
	srv := httptest.NewTLSServer(e)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "central-ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	e.CA = string(certPEM) // any PEM: the broker's CA the central hands out
	return &enrollRig{e: e, url: srv.URL, ca: ca}
}

func ptr[T any](v T) *T { return &v }

func (r *enrollRig) provision(t *testing.T, cfg config.Config, code string) (*Identity, error) {
	t.Helper()
	return Provision(context.Background(), cfg, ProvisionOptions{Central: r.url, Code: code, CAFile: r.ca, Version: "test",
		Clock: newClock(), Say: func(format string, args ...any) {
			r.mu.Lock()
			r.said = append(r.said, fmt.Sprintf(format, args...))
			r.mu.Unlock()
		}})
}

func (r *enrollRig) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.said, "\n")
}

// Provisioning an empty data directory: the request is signed with the key
// it registers (the file's), identity.json is 0600 in a 0700 directory and
// holds what the central answered, the central's config is laid on the
// pad, and both fingerprints are printed. Run again with a new code it
// rotates the credentials and keeps the records; a bad code is reported
// clearly and changes nothing; a running pad's store is not touched.
func TestProvision(t *testing.T) {
	r := newEnrollRig(t)
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.DeviceID = "TA-ZWFW-W12"
	r.e.AddCode("CODE-1", "TA-ZWFW-W12")
	id, err := r.provision(t, cfg, "CODE-1")
	if err != nil {
		t.Fatalf("provision: %v\n%s", err, r.output())
	}
	key, err := trust.LoadKey(filepath.Join(cfg.DataDir, DeviceKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	reqs, bodies := r.e.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	if err := trust.Verify(trust.Public(key), trust.EnrollDomain, bodies[0]); err != nil {
		t.Errorf("the request does not verify with the device key file's public key: %v", err)
	}
	if q := reqs[0]; q.DeviceID != "TA-ZWFW-W12" || q.PublicKey != trust.EncodePublicKey(trust.Public(key)) || q.Version != "test" ||
		q.At != t0.Format(time.RFC3339) || q.Hardware["arch"] == "" || q.Hardware["printer"] != "none" {
		t.Errorf("request %+v", q)
	}
	for path, want := range map[string]os.FileMode{cfg.DataDir: 0o700, filepath.Join(cfg.DataDir, IdentityFile): 0o600,
		filepath.Join(cfg.DataDir, BrokerCAFile): 0o600, filepath.Join(cfg.DataDir, DeviceKeyFile): 0o600} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, st.Mode().Perm(), want)
		}
	}
	got, err := LoadIdentity(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{V: 1, DeviceID: "TA-ZWFW-W12", Central: r.url, CentralKey: trust.EncodePublicKey(trust.Public(centralKey())),
		Broker: "ssl://mqtt.example.gov.cn:8883", Username: "TA-ZWFW-W12", Password: agenttest.Password(1, "TA-ZWFW-W12"),
		CAFile: BrokerCAFile, ReceiptKeyID: "k1", ReceiptKey: "receipt-key-1-0123456789abcdef", EnrolledAt: t0.Format(time.RFC3339), dir: cfg.DataDir}
	if *got != want || *id != want {
		t.Errorf("identity.json\n%+v\nreturned %+v\nwant %+v", *got, *id, want)
	}
	if ca, _ := os.ReadFile(filepath.Join(cfg.DataDir, BrokerCAFile)); string(ca) != r.e.CA {
		t.Error("broker-ca.pem is not the CA the central sent")
	}
	out := r.output()
	t.Logf("the technician read:\n%s", out)
	for _, s := range []string{trust.Fingerprint(trust.Public(key)), trust.Fingerprint(trust.Public(centralKey())), "made now", "identity.json (0600)", "hall 泰山区政务服务中心"} {
		if !strings.Contains(out, s) {
			t.Errorf("the output does not say %q:\n%s", s, out)
		}
	}

	// The pad runs with it: the central's config, the identity's keys.
	run := got.Apply(cfg)
	a := build(t, run, Parts{})
	if c := a.Config(); c.Hall != "泰山区政务服务中心" || c.Window != "7" || c.Staff.ID != "TA0456" ||
		c.Sync.CentralKey != want.CentralKey || c.Receipt.KeyID != "k1" || c.Sync.CAFile != filepath.Join(cfg.DataDir, BrokerCAFile) {
		t.Errorf("the provisioned pad's config %+v", c)
	}
	if _, err := a.OpenSession(ratingSession("S-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pad.Press(5); err != nil {
		t.Fatal(err)
	}
	before, _ := a.store.Stats()
	a.Close()

	// Again, with a new code: new credentials, the same key and records.
	r.e.AddCode("CODE-2", "")
	if _, err := r.provision(t, cfg, "CODE-2"); err != nil {
		t.Fatal(err)
	}
	got2, err := LoadIdentity(cfg.DataDir)
	if err != nil || got2.Password != agenttest.Password(2, "TA-ZWFW-W12") || got2.ReceiptKeyID != "k2" || got2.DeviceID != "TA-ZWFW-W12" {
		t.Fatalf("after the second provisioning: %+v %v", got2, err)
	}
	if key2, _ := trust.LoadKey(filepath.Join(cfg.DataDir, DeviceKeyFile)); !key2.Equal(key) {
		t.Error("a new device key")
	}
	identityBytes, _ := os.ReadFile(filepath.Join(cfg.DataDir, IdentityFile))
	b := build(t, got2.Apply(cfg), Parts{})
	if after, _ := b.store.Stats(); after.Pending != before.Pending || after.LastSeq != before.LastSeq || before.Pending != 1 {
		t.Errorf("the store before %+v, after %+v", before, after)
	}
	centralBefore, _ := b.store.State(centralConfigKey)

	// A running pad holds the store: provisioning refuses before it asks the central.
	r.e.AddCode("CODE-3", "")
	n := len(must(r.e.Requests()))
	if _, err := r.provision(t, cfg, "CODE-3"); err == nil || !strings.Contains(err.Error(), "stop evalpad") {
		t.Errorf("provisioning a running pad: %v", err)
	}
	if len(must(r.e.Requests())) != n {
		t.Error("the central was asked while the pad ran")
	}
	b.Close()

	// A bad code: refused, said clearly, nothing changed.
	_, err = r.provision(t, cfg, "CODE-BAD")
	if !errors.Is(err, ErrEnrollRefused) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "new code") ||
		!strings.Contains(err.Error(), "nothing on the pad was changed") {
		t.Errorf("bad code: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(cfg.DataDir, IdentityFile)); !bytes.Equal(now, identityBytes) {
		t.Error("a refused code changed identity.json")
	}
	c := build(t, got2.Apply(cfg), Parts{})
	if after, _ := c.store.Stats(); after.Pending != before.Pending || after.LastSeq != before.LastSeq {
		t.Errorf("a refused code changed the store: %+v", after)
	}
	if now, _ := c.store.State(centralConfigKey); !bytes.Equal(now, centralBefore) {
		t.Error("a refused code changed the central's config")
	}
}

func must[T, U any](v T, _ U) T { return v }

// identity.json readable by others is refused: its password and receipt
// key may have leaked.
func TestIdentityModeChecked(t *testing.T) {
	r := newEnrollRig(t)
	cfg := testConfig(t)
	r.e.AddCode("C", "")
	if _, err := r.provision(t, cfg, "C"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(cfg.DataDir, IdentityFile), 0o644)
	if _, err := LoadIdentity(cfg.DataDir); !errors.Is(err, ErrIdentity) || !strings.Contains(err.Error(), "0644") {
		t.Errorf("LoadIdentity of a 0644 file: %v", err)
	}
}
