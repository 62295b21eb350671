package central

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"evalpad/rating"
)

var update = flag.Bool("update", false, "rewrite the golden files of the export")

// TestExport writes the platform export of one store under two code maps
// and compares it with golden files: the national default (pf 4 for the
// pad, 3 二维码, 7 系统默认评价; 1 = 非常不满意) and one as a province
// following GB/T 39046 might set it (satisfaction reversed, other pf
// codes). A batch rating is a row per case, a theme rating its target's
// row; unrated sessions, window ratings and other days are left out.
func TestExport(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, backends[0].open(t))
	recs := []rating.Record{
		rec(1, func(r *rating.Record) { r.Stars, r.Reasons = 2, []string{"213", "214"} }),
		rec(2, func(r *rating.Record) {
			r.Mode = rating.ModeBatch
			r.Cases = append(r.Cases, rating.Case{ProjectNo: "P2b", TaskCode: "T002", TaskName: "变更登记，含\"引号\""})
		}),
		rec(3, func(r *rating.Record) {
			r.Mode, r.Target = rating.ModeTheme, "P3b"
			r.Cases = append(r.Cases, rating.Case{ProjectNo: "P3b", TaskCode: "T003", TaskName: "注销登记"})
		}),
		rec(4, func(r *rating.Record) { r.Kind, r.Stars = rating.KindUnrated, 0 }),
		rec(5, func(r *rating.Record) { r.Kind, r.Stars = rating.KindUnrated, 0 }),
		rec(6, func(r *rating.Record) { r.At = "2026-11-27T09:00:00.000+08:00" }), // another day
	}
	def := DefaultRecord(recs[3])
	scan := made(target{Case: &Case{Record: recs[4], Case: recs[4].Cases[0]}, Device: Registered{DeviceID: "TA-1"}, Hall: recs[4].Hall,
		Window: "1", Zone: chinaTime}, "3", ChannelScan, 1, []string{"115"}, t0.Add(3*60*60*1e9))
	scan.ID = ClosingID(recs[4].ID)
	window := made(target{Device: Registered{DeviceID: "TA-1"}, Window: "1", Zone: chinaTime}, "3", ChannelScan, 5, nil, t0)
	window.ID = derivedID("w")
	recs = append(recs, def, scan, window)
	if _, err := st.Insert(ctx, rowsOf(recs...), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		m      ExportMap
		format string
		page   int
	}{
		{"national", ExportMap{}, "jsonl", 0},
		{"national", ExportMap{}, "csv", 0},
		{"national", ExportMap{}, "csv", 2}, // read two records at a time: the same rows
		{"gbt39046", ExportMap{Reverse: true, Default: "9", Channels: ChannelCodes{ChannelPad: "5", ChannelScan: "2"},
			Reasons: map[string]string{"213": "215", "115": "116"}}, "csv", 0},
	} {
		if c.page > 0 {
			defer func(n int) { exportPage = n }(exportPage)
			exportPage = c.page
		}
		var b bytes.Buffer
		if err := c.m.Export(ctx, st, "2026-11-25", "2026-11-26", c.format, &b); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "export_"+c.name+"."+c.format)
		if *update {
			os.WriteFile(golden, b.Bytes(), 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s: got\n%s\nwant\n%s", golden, b.Bytes(), want)
		}
	}
	for _, bad := range [][3]string{{"2026-11-25", "2026-11-26", "xml"}, {"", "2026-11-26", "csv"}, {"2026-11-25", "26.11.2026", "jsonl"}} {
		if err := (ExportMap{}).Export(ctx, st, bad[0], bad[1], bad[2], &bytes.Buffer{}); !errors.Is(err, ErrBadFilter) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestLoadExportMap: a province's map file is read; unknown fields and
// codes that are not 1–3 digits are refused, naming the field.
func TestLoadExportMap(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "map.json")
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	m, err := LoadExportMap(write(`{"channels":{"pad":"5","qr":"2"},"default":"9","reverse":true,"reasons":{"105":"115"}}`))
	if err != nil || !m.Reverse || m.Default != "9" || m.Channels.Code(ChannelScan) != "2" || m.Channels.Code(ChannelSMS) != "6" || m.Reasons["105"] != "115" {
		t.Errorf("%+v %v", m, err)
	}
	for body, want := range map[string]string{
		`{"channels":{"qr":"二"}}`:   "channels.qr",
		`{"default":"1234"}`:        "default",
		`{"reversed":true}`:         "unknown field",
		`{"channels":{"qr":""}}`:    "channels.qr",
		`not json`:                  "invalid character",
		`{"reasons":{"105":"15"}}`:  "reasons",
		`{"reasons":{"x05":"115"}}`: "reasons",
	} {
		if _, err := LoadExportMap(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	if _, err := LoadExportMap(filepath.Join(dir, "none.json")); err == nil {
		t.Error("a missing file is not an error")
	}
}
