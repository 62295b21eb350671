package agent

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/agent/config"
	"evalpad/agent/hardware"
	"evalpad/agent/hardware/hardwaretest"
	"evalpad/device/escpos"
	"evalpad/display"
	"evalpad/pad/padtest"
	"evalpad/rating"
	"evalpad/store"
)

// t0 is when every test's fake clock starts: 2026-11-25T10:00:00+08:00.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// testConfig is the default config with its state in a fresh temp dir.
func testConfig(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.API.Listen = "127.0.0.1:0"
	cfg.Receipt.Key = "0123456789abcdef-test"
	return cfg
}

// testFont is the CJK font the screens draw with (scripts/deps installs it).
func testFont(t testing.TB) *display.Font {
	t.Helper()
	f, err := LoadFont(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fakes is a pad's worth of fake drivers.
type fakes struct {
	buttons *hardwaretest.Buttons
	touch   *hardwaretest.Touch
	panel   *hardwaretest.Panel
	printer *hardwaretest.Printer
}

func newFakes() *fakes {
	return &fakes{buttons: &hardwaretest.Buttons{}, touch: &hardwaretest.Touch{}, panel: &hardwaretest.Panel{},
		printer: hardwaretest.NewPrinter()}
}

func (f *fakes) set() *hardware.Set {
	s := &hardware.Set{Buttons: f.buttons, ButtonsName: "fake buttons", Touch: f.touch, TouchName: "fake touch",
		Panel: f.panel, PanelName: "fake panel", Printer: f.printer, PrinterName: "fake printer"}
	s.OnClose(f.panel.Close)
	return s
}

// build builds an agent and closes it when the test ends, checking the
// store's file first.
func build(t testing.TB, cfg config.Config, parts Parts) *Agent {
	t.Helper()
	if parts.Rand == nil {
		parts.Rand = rand.Reader
	}
	a, err := New(cfg, parts)
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	t.Cleanup(func() {
		if a.store != nil {
			if err := a.store.Check(); err != nil {
				t.Errorf("store: %v", err)
			}
		}
		a.Close()
	})
	return a
}

// running is an agent whose Run goes on until the test ends.
type running struct {
	*Agent
	base string
	stop func() error
}

// start builds an agent and runs it; stop ends Run and returns its error.
func start(t testing.TB, cfg config.Config, parts Parts) *running {
	t.Helper()
	addr := make(chan net.Addr, 1)
	parts.OnListen = func(a net.Addr) { addr <- a }
	return runBuilt(t, build(t, cfg, parts), addr)
}

// runBuilt runs a built agent until the test ends; addr gets OnListen's.
func runBuilt(t testing.TB, a *Agent, addr <-chan net.Addr) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	r := &running{Agent: a}
	stopped := false
	var runErr error
	r.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-done
		}
		return runErr
	}
	t.Cleanup(func() { r.stop() })
	select {
	case ad := <-addr:
		r.base = "http://" + ad.String()
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	return r
}

// call makes a request to the agent's local API and decodes the answer.
func (r *running) call(t testing.TB, method, path string, body any, out any) int {
	t.Helper()
	return call(t, r.base, method, path, body, out)
}

func call(t testing.TB, base, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// within fails the test unless ch closes (or yields) within a generous
// deadline: something that happens in another goroutine of the agent.
func within[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func session(id string) map[string]any {
	return map[string]any{"session_id": id, "mode": "single", "staff": map[string]string{"id": "TA0123", "name": "李四"},
		"cases": []map[string]string{{"project_no": "P-" + id, "task_code": "T1", "task_name": "企业设立登记"}}}
}

func ratingSession(id string) rating.Session {
	b, _ := json.Marshal(session(id))
	s, err := rating.ParseSession(b)
	if err != nil {
		panic(err)
	}
	return s
}

// records lists what the store holds.
func records(t testing.TB, st *store.Store) []rating.Record {
	t.Helper()
	var out []rating.Record
	err := st.Records(func(e store.Entry) error {
		var r rating.Record
		if err := json.Unmarshal(e.JSON, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// appendRecords writes n records of device id dev straight into the store
// file in dir, as an earlier run of the pad would have.
func appendRecords(t testing.TB, dir, dev string, n int) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range n {
		id := fmt.Sprintf("0190a1b2-c3d4-7e5f-8a6b-%012d", i+1)
		s := ratingSession(fmt.Sprintf("S-old-%d", i))
		r := rating.NewRecord(id, rating.Origin{DeviceID: dev, AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "1", Channel: "4"},
			&s, rating.Staff{}, s.Cases, rating.Verdict{Stars: 5}, "", rating.FormatTime(t0, t0.Location()))
		if err := st.Append(&r, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func newClock() *padtest.Clock { return padtest.NewClock(t0) }

// httpServer serves a's local API (without Run) until the test ends.
func httpServer(t testing.TB, a *Agent) string {
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// qrOf is the text of the QR code on a receipt job.
func qrOf(t testing.TB, job []byte) string {
	t.Helper()
	ops, err := escpos.Decode(job)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if o.Code == escpos.QRStore {
			return string(o.Data)
		}
	}
	t.Fatal("no QR code on the receipt")
	return ""
}
