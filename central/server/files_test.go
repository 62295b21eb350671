package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestStateIsPrivate: evalhub's data dir is 0700 and its SQLite files
// (the database, its -wal and -shm) 0600, also where an older run left
// the directory 0755 and the database 0644.
func TestStateIsPrivate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evalhub")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(data, "evalhub.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{MQTTListen: "127.0.0.1:0", Listen: "127.0.0.1:0", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, s)
	for name, want := range map[string]os.FileMode{"": 0o700, "evalhub.db": 0o600, "evalhub.db-wal": 0o600, "evalhub.db-shm": 0o600} {
		fi, err := os.Stat(filepath.Join(data, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s/%s: %v %v, want %v", data, name, fi.Mode(), err, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
