package protocol

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGolden pins the bytes of every message the pad and the central send:
// protocol v1 may add fields, never change one. go test -update rewrites.
func TestGolden(t *testing.T) {
	rec := []byte(`{"v":1,"id":"` + uuid1 + `","seq":1}`)
	for _, tc := range []struct {
		name string
		got  []byte
	}{
		{"records.json", AppendRecords(nil, "TA-ZWFW-W12", [][]byte{rec, rec})},
		{"ack.json", Ack{IDs: []string{uuid1}}.Marshal()},
		{"status.json", Status{Online: true, Firmware: "v1.2.3", At: "2026-11-25T10:03:12+08:00", Outbox: 3, OutboxMax: 500000,
			OldestUnackedS: 42, LastSeq: 1234, Screen: "idle", Printer: "ok"}.Marshal()},
		{"will.json", OfflineStatus},
		{"cmdresult.json", CmdResult{ID: "c1", Type: "cmd", OK: false, Error: "print_receipt: not supported yet"}.Marshal()},
		{"cmd.json", Cmd{ID: "c2", Cmd: CmdMessage, Text: "请到 3 号窗口", Seconds: 30}.Marshal()},
	} {
		path := filepath.Join("testdata", tc.name)
		if *update {
			if err := os.WriteFile(path, append(tc.got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if !bytes.Equal(append(tc.got, '\n'), want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, want)
		}
	}
}
