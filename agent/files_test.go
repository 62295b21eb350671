package agent

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"evalpad/pad/localapi"
)

// TestStateIsPrivate: after a simulated pad has stored a rating and
// printed a receipt, every directory under the data dir is 0700 and every
// file 0600 — the data dir too, though an older install made it 0755.
func TestStateIsPrivate(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(t.TempDir(), "evalpad")
	if err := os.Mkdir(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	parts := SimulatedParts(cfg, nil)
	parts.Font = testFont(t)
	a := build(t, cfg, parts)
	if _, err := a.OpenSession(ratingSession("S-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Pad().Press(5); err != nil {
		t.Fatal(err)
	}
	if _, err := a.receipts.PrintReceipt(localapi.ReceiptRequest{ProjectNo: "P1", TaskName: "企业设立登记"}); err != nil {
		t.Fatal(err)
	}
	var files []string
	err := filepath.WalkDir(cfg.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want %v", p, fi.Mode().Perm(), want)
		}
		files = append(files, strings.TrimPrefix(p, cfg.DataDir))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/evalpad.db", "/evalpad.db.seq", "/receipts/0001.bin", "/receipts/0001.png"} {
		if !strings.Contains(strings.Join(files, " ")+" ", want+" ") {
			t.Errorf("no %s among %v", want, files)
		}
	}
}

// TestSharedDataDirRefused: a data_dir shared by design (sticky, /tmp-like)
// is not made the pad's: New refuses it and leaves its mode.
func TestSharedDataDirRefused(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg.DataDir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, Parts{Font: testFont(t)}); err == nil || !strings.Contains(err.Error(), "sticky") {
		t.Errorf("New on a sticky data dir: %v, want a refusal", err)
	}
	if fi, err := os.Stat(cfg.DataDir); err != nil || fi.Mode().Perm() != 0o777 {
		t.Errorf("the shared dir was changed: %v %v", fi.Mode(), err)
	}
}
