package agent

import (
	"os"
	"path/filepath"
	"testing"

	"evalpad/store"
	"evalpad/trust"
)

// The pad makes its device key at the first start, simulator or not, keeps
// it 0600 and signs every record with it, across restarts.
func TestRecordsSignedWithDeviceKey(t *testing.T) {
	cfg := testConfig(t)
	parts := SimulatedParts(cfg, nil)
	parts.Rand = nil
	a := build(t, cfg, parts)
	path := filepath.Join(cfg.DataDir, DeviceKeyFile)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("device key %s: %v, mode %v", path, err, st.Mode())
	}
	key, err := trust.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !trust.Public(key).Equal(a.PublicKey()) {
		t.Fatal("the agent signs with another key than the file's")
	}
	if _, err := a.OpenSession(ratingSession("S-1")); err != nil {
		t.Fatal(err)
	}
	out, err := a.pad.Press(5)
	if err != nil || out.Record == nil || out.Record.Sig == "" {
		t.Fatalf("press: %+v %v", out, err)
	}
	a.Close()
	b := build(t, cfg, Parts{})
	if !b.PublicKey().Equal(trust.Public(key)) {
		t.Fatal("a restart made a new key")
	}
	if _, err := b.OpenSession(ratingSession("S-2")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pad.Press(4); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = b.store.Records(func(e store.Entry) error {
		n++
		if err := trust.Verify(trust.Public(key), trust.RecordDomain, e.JSON); err != nil {
			t.Errorf("record %s: %v", e.JSON, err)
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Errorf("%d records, %v; want 2", n, err)
	}
}
