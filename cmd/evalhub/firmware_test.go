package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"evalpad/central"
	"evalpad/central/centraltest"
	"evalpad/firmware"
	"evalpad/firmware/firmwaretest"
	"evalpad/sync/protocol"
)

// testVendorPub is the public half of firmwaretest.Key.
const testVendorPub = "../../firmware/testdata/vendor.pub"

// artifact writes a signed test artifact of version for arm64 (the pads'
// arch) and returns its path and bytes.
func artifact(t *testing.T, version string) (string, []byte) {
	t.Helper()
	p := firmwaretest.Artifact(t, t.TempDir(), nil, firmwaretest.Manifest(version, "arm64"), bytes.Repeat([]byte("evalpad "+version+"\n"), 5000))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}

// download is a pad's download: the first half, then the rest resumed
// with Range and If-Range, checked against the command's size and sha256;
// then the pad's own downloader (firmware.Download) fetches it into dir
// and firmware.Verify checks it with the vendor key, as the pad would
// before installing.
func download(c protocol.Cmd, dir string) error {
	if err := byRange(c); err != nil {
		return err
	}
	dest := filepath.Join(dir, "update.fw")
	if err := firmware.Download(context.Background(), c.URL, dest, c.Size, c.SHA256, nil); err != nil {
		return err
	}
	m, err := firmware.Verify(dest, firmwaretest.Keys(), firmware.Target{Product: firmware.Product, Arch: "arm64", Version: "1.2.0", StoreFormat: 1})
	if err != nil {
		return err
	}
	if m.Version != c.Version {
		return fmt.Errorf("the artifact is %s, the command says %s", m.Version, c.Version)
	}
	return nil
}

func byRange(c protocol.Cmd) error {
	get := func(hdr ...string) ([]byte, int, string, error) {
		req, _ := http.NewRequest("GET", c.URL, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return b, resp.StatusCode, resp.Header.Get("ETag"), err
	}
	head, code, etag, err := get("Range", fmt.Sprintf("bytes=0-%d", c.Size/2-1))
	if err != nil || code != 206 {
		return fmt.Errorf("first half: %d %v", code, err)
	}
	rest, code, _, err := get("Range", fmt.Sprintf("bytes=%d-", len(head)), "If-Range", etag)
	if err != nil || code != 206 {
		return fmt.Errorf("resumed: %d %v", code, err)
	}
	all := append(head, rest...)
	sum := sha256.Sum256(all)
	if int64(len(all)) != c.Size || hex.EncodeToString(sum[:]) != c.SHA256 {
		return fmt.Errorf("downloaded %d bytes, sha256 %x; the command says %d, %s", len(all), sum, c.Size, c.SHA256)
	}
	return nil
}

// TestFirmwareRollout: evalhub firmware publish refuses an artifact the
// vendor keys do not verify and takes a good one; a rollout made through
// the API (operator token) sends a hall's pads the signed update command,
// canary first; each pad downloads the artifact from evalhub by Range
// without a token and reports; the rollout ends done with every pad good,
// shown by the API.
func TestFirmwareRollout(t *testing.T) {
	data := t.TempDir()
	store := []string{"--data", data}
	good, raw := artifact(t, "1.3.0")

	// An artifact signed by another key: refused, nothing published.
	other := t.TempDir()
	if _, err := os.Stat(testVendorPub); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(other, "other.pub"), []byte("Dq5Ix0aRVYTW3ipcNIw3L2oM1GA9TpSWL1oClJKmFpw=\n"), 0o644)
	var errs strings.Builder
	if code := run(append([]string{"firmware", "publish", good, "--vendor-key", other}, store...), io.Discard, &errs); code != 1 || !strings.Contains(errs.String(), "unknown vendor key") {
		t.Errorf("publish with the wrong vendor key: exit %d, %q", code, errs.String())
	}
	if code := run(append([]string{"firmware", "publish", good}, store...), io.Discard, &errs); code != 1 || !strings.Contains(errs.String(), "--vendor-key") {
		t.Errorf("publish without vendor keys: exit %d, %q", code, errs.String())
	}
	sha, out := command(t, append([]string{"firmware", "publish", good, "--vendor-key", testVendorPub}, store...)...)
	sum := sha256.Sum256(raw)
	if sha != hex.EncodeToString(sum[:]) || !strings.Contains(out, "version 1.3.0, arch arm64") {
		t.Fatalf("publish said %q", out)
	}
	if _, out := command(t, append([]string{"firmware", "list"}, store...)...); !strings.Contains(out, sha) || !strings.Contains(out, "1.3.0") {
		t.Errorf("list: %q", out)
	}

	base, _ := hub(t, "--data", data)
	// Three pads in hall A, one in hall B, each set by its enrollment config.
	cfg := func(hall string) string {
		p := filepath.Join(t.TempDir(), "cfg.json")
		os.WriteFile(p, fmt.Appendf(nil, `{"hall":%q,"window":"1"}`, hall), 0o644)
		return p
	}
	hallA, hallB := cfg("泰安市政务服务中心"), cfg("岱岳区政务服务中心")
	var mu sync.Mutex
	got := map[string][]protocol.Cmd{}
	var failures []string
	for _, id := range []string{"TA-1", "TA-2", "TA-3", "DY-1"} {
		c := hallA
		if id == "DY-1" {
			c = hallB
		}
		code, _ := command(t, append([]string{"enroll", "--device", id, "--config", c}, store...)...)
		p := centraltest.NewPad(id)
		p.Enroll(t, base, code)
		cl := p.Connect(t, p.Enrolled.Broker, nil)
		dir := t.TempDir()
		p.AnswerUpdates(t, cl, func(c protocol.Cmd) []centraltest.UpdateStep {
			mu.Lock()
			got[id] = append(got[id], c)
			mu.Unlock()
			if err := download(c, dir); err != nil {
				mu.Lock()
				failures = append(failures, id+": "+err.Error())
				mu.Unlock()
				return centraltest.Refuses(err.Error())
			}
			return centraltest.Installs(c, "1.2.0", "")
		})
	}
	op, _ := command(t, append([]string{"token", "--role", "operator"}, store...)...)
	sup, _ := command(t, append([]string{"token", "--role", "supervisor"}, store...)...)
	spec := `{"version":"1.3.0","hall":"泰安市政务服务中心","canary":1,"batch":1}`
	post := func(tok string) (int, []byte) {
		req, _ := http.NewRequest("POST", base+"/api/v1/rollouts", strings.NewReader(spec))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := post(""); code != 401 {
		t.Errorf("rollout without a token: %d", code)
	}
	if code, _ := post(sup); code != 403 {
		t.Errorf("rollout with a supervisor's token: %d", code)
	}
	code, b := post(op)
	var r central.Rollout
	if err := json.Unmarshal(b, &r); code != 201 || err != nil || len(r.Pads) != 3 {
		t.Fatalf("rollout: %d %s", code, b)
	}
	centraltest.Eventually(t, "the rollout to finish", func() bool {
		return getJSON(t, sup, base+"/api/v1/rollouts/"+r.ID, &r) == 200 && r.State != central.RolloutRunning
	})
	mu.Lock()
	defer mu.Unlock()
	if r.State != central.RolloutDone || r.Counts[central.PadGood] != 3 || len(failures) > 0 {
		t.Fatalf("rollout %s (%s) %v; pads' failures %v", r.State, r.Reason, r.Counts, failures)
	}
	if len(got["DY-1"]) != 0 || len(got["TA-1"]) != 1 || len(got["TA-2"]) != 1 || len(got["TA-3"]) != 1 {
		t.Errorf("commands: %v", got)
	}
	// The canary was sent first, and alone: every other pad's command
	// was sent after the canary reported good.
	canary := r.Pads[0]
	for _, p := range r.Pads[1:] {
		if !canary.Canary || p.SentAt.Before(canary.UpdatedAt) {
			t.Errorf("pad %s sent at %v, before the canary was good at %v", p.DeviceID, p.SentAt, canary.UpdatedAt)
		}
	}
	if !strings.HasPrefix(got["TA-1"][0].URL, base+"/firmware/") {
		t.Errorf("URL %s, want under %s", got["TA-1"][0].URL, base)
	}
	// The page's data: the rollout with each pad's result.
	var list struct{ Rollouts []central.Rollout }
	if code := getJSON(t, sup, base+"/api/v1/rollouts", &list); code != 200 || len(list.Rollouts) != 1 || len(list.Rollouts[0].Pads) != 3 {
		t.Errorf("rollouts: %d %+v", code, list)
	}
}

// TestRolloutCommands: firmware rollout, status and halt beside a
// central: the rollout is stored with its pads, refused specs say why, a
// halt is kept and stops it.
func TestRolloutCommands(t *testing.T) {
	data := t.TempDir()
	store := []string{"--data", data}
	good, _ := artifact(t, "1.3.0")
	command(t, append([]string{"firmware", "publish", good, "--vendor-key", testVendorPub}, store...)...)
	// No pad enrolled yet: nothing to roll out to.
	var errs strings.Builder
	if code := run(append([]string{"firmware", "rollout", "--version", "1.3.0", "--percent", "50"}, store...), io.Discard, &errs); code != 1 || !strings.Contains(errs.String(), "no active pad") {
		t.Errorf("rollout to no pad: exit %d %q", code, errs.String())
	}
	base, _ := hub(t, "--data", data)
	for _, id := range []string{"TA-1", "TA-2", "TA-3", "TA-4"} {
		code, _ := command(t, append([]string{"enroll", "--device", id}, store...)...)
		centraltest.NewPad(id).Enroll(t, base, code)
	}
	id, out := command(t, append([]string{"firmware", "rollout", "--version", "1.3.0", "--devices", "TA-1,TA-3", "--canary", "1", "--max-failures", "0.5"}, store...)...)
	if !strings.Contains(out, "to devices TA-1,TA-3: 2 pads, 1 canary first") {
		t.Errorf("rollout said %q", out)
	}
	if _, out := command(t, append([]string{"firmware", "status", id}, store...)...); !strings.Contains(out, "TA-1") || !strings.Contains(out, "TA-3") || !strings.Contains(out, "canary") {
		t.Errorf("status: %q", out)
	}
	if _, out := command(t, append([]string{"firmware", "halt", id, "--reason", "wrong build"}, store...)...); !strings.Contains(out, "halted") {
		t.Errorf("halt: %q", out)
	}
	if _, out := command(t, append([]string{"firmware", "status"}, store...)...); !strings.Contains(out, "halted (halted by an operator: wrong build)") {
		t.Errorf("status after the halt: %q", out)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"firmware"}, 2, "publish FILE"},
		{[]string{"firmware", "publish"}, 2, "one artifact FILE"},
		{[]string{"firmware", "rollout", "--percent", "5"}, 2, "--version is required"},
		{[]string{"firmware", "rollout", "--version", "1.3.0"}, 2, "--percent 100 for every pad"},
		{[]string{"firmware", "rollout", "--version", "1.3.0", "--hall", "A", "--devices", "TA-1"}, 2, "one of --hall"},
		{[]string{"firmware", "rollout", "--version", "2.0.0", "--percent", "100"}, 1, "not published"},
		{[]string{"firmware", "rollout", "--version", "1.3.0", "--devices", "TA-9"}, 1, "TA-9"},
		{[]string{"firmware", "rollout", "--version", "1.3.0", "--devices", "TA-1", "--max-failures", "2"}, 1, "max_failures"},
		{[]string{"firmware", "halt", id}, 1, "not running"},
		{[]string{"firmware", "halt", central.NewID()}, 1, "rollout unknown"},
	} {
		var out strings.Builder
		if code := run(append(tc.args, store...), &out, &out); code != tc.code || !strings.Contains(out.String(), tc.msg) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, out.String(), tc.code, tc.msg)
		}
	}
}
