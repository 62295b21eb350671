package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/firmware"
	"evalpad/firmware/firmwaretest"
	"evalpad/pad"
	"evalpad/sync/link/linktest"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// cutServer serves an artifact over real HTTP: its first response is cut
// after half the file; the next one serves the range asked for (If-Range
// on its ETag), and stops after half of it until hold is closed.
type cutServer struct {
	*httptest.Server
	data   []byte
	hold   chan struct{}
	free   func() // closes hold, once
	mu     sync.Mutex
	ranges []string // the Range header of each request
}

func newCutServer(t *testing.T, data []byte) *cutServer {
	s := &cutServer{data: data, hold: make(chan struct{})}
	s.free = sync.OnceFunc(func() { close(s.hold) })
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		first := len(s.ranges) == 1
		s.mu.Unlock()
		w.Header().Set("ETag", `"fw-1.1.0"`)
		if first {
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.WriteHeader(http.StatusOK)
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the connection is cut
		}
		from := 0
		if rg := r.Header.Get("Range"); rg != "" && r.Header.Get("If-Range") == `"fw-1.1.0"` {
			if _, err := fmt.Sscanf(rg, "bytes=%d-", &from); err != nil || from >= len(data) {
				http.Error(w, "bad range", http.StatusRequestedRangeNotSatisfiable)
				return
			}
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(data)-1, len(data)))
			w.Header().Set("Content-Length", fmt.Sprint(len(data)-from))
			w.WriteHeader(http.StatusPartialContent)
		} else {
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		}
		mid := from + (len(data)-from)/2
		w.Write(data[from:mid])
		w.(http.Flusher).Flush()
		<-s.hold
		w.Write(data[mid:])
	}))
	t.Cleanup(s.Close)
	t.Cleanup(s.free) // before Close: a failed test leaves no handler waiting
	return s
}

func (s *cutServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// runAgent runs a built agent; the channel gets Run's error.
func runAgent(a *Agent) (chan error, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return done, cancel
}

// The central's update command, end to end on a real broker and a real
// HTTP server: the first download is cut midway and the command refused
// with nothing changed; the central sends it again and the download
// resumes where it stopped (a Range request), is verified, installed into
// slot b and switched to; the pad answers ok, reports each step on
// up/status and restarts. The new version, on trial, reaches the broker,
// marks itself good and reports it; the ratings from before are intact
// and it rates.
func TestUpdateCommand(t *testing.T) {
	ctx, cancelAll := context.WithTimeout(context.Background(), time.Minute)
	defer cancelAll()
	b := mqtttest.Start(t)
	central := linktest.StartCentral(t, b.URL(), centralKey(), nil)
	root := filepath.Join(t.TempDir(), "slots")
	old := filepath.Join(t.TempDir(), "evalpad")
	if err := os.WriteFile(old, []byte("the agent 1.0.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := firmware.InitSlots(root, old, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	slots := &firmware.AgentSlots{Root: root}
	pub, err := filepath.Abs("../firmware/testdata/vendor.pub")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.DeviceID = padA
	cfg.Sync.Broker = b.URL()
	cfg.Sync.CentralKey = trust.EncodePublicKey(central.PublicKey())
	cfg.Update.VendorKeys = []string{pub}

	payload := make([]byte, 600<<10)
	rand.Read(payload)
	art := firmwaretest.Artifact(t, t.TempDir(), nil, firmwaretest.Manifest("1.1.0", runtime.GOARCH), payload)
	data, err := os.ReadFile(art)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	srv := newCutServer(t, data)
	cmd := func(id string) []byte {
		return fmt.Appendf(nil, `{"id":%q,"cmd":"update","url":%q,"sha256":%q,"size":%d,"version":"1.1.0"}`,
			id, srv.URL+"/evalpad-1.1.0.fw", hex.EncodeToString(sum[:]), len(data))
	}

	clock := newClock()
	a := build(t, cfg, Parts{Hardware: newFakes().set(), Font: testFont(t), Clock: clock, Boot: slots, Version: "1.0.0"})
	central.Register(padA, a.PublicKey())
	done, cancel := runAgent(a)
	defer cancel()
	central.Until(ctx, "the pad online", func() bool { return central.Online(padA) })
	rate := func(a *Agent, id string) {
		t.Helper()
		clock.Advance(10 * time.Second)
		if _, err := a.OpenSession(ratingSession(id)); err != nil {
			t.Fatal(err)
		}
		if out, err := a.pad.Press(5); err != nil || out.Result != pad.ResultRecorded {
			t.Fatalf("press: %+v %v", out, err)
		}
	}
	rate(a, "S-before")
	central.Until(ctx, "the rating at the central", func() bool { return len(central.Records(padA)) == 1 })

	// An artifact signed with a key the pad does not trust: refused after
	// the download, nothing changed, nothing kept.
	other := ed25519.NewKeyFromSeed([]byte("another vendor key, not trusted!"))
	untrusted, err := os.ReadFile(firmwaretest.Artifact(t, t.TempDir(), other, firmwaretest.Manifest("1.1.0", runtime.GOARCH), payload))
	if err != nil {
		t.Fatal(err)
	}
	usum := sha256.Sum256(untrusted)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "x.fw", time.Time{}, bytes.NewReader(untrusted))
	}))
	defer plain.Close()
	central.Send(padA, protocol.DownCmd, fmt.Appendf(nil, `{"id":"u0","cmd":"update","url":%q,"sha256":%q,"size":%d,"version":"1.1.0"}`,
		plain.URL+"/x.fw", hex.EncodeToString(usum[:]), len(untrusted)), false)
	central.Until(ctx, "the answer to u0", func() bool { _, ok := central.Result("u0"); return ok })
	if res, _ := central.Result("u0"); res.OK || !strings.Contains(res.Error, "unknown vendor key") {
		t.Fatalf("u0 answered %+v, want refused: unknown vendor key", res)
	}
	if st, err := slots.State(); err != nil || st.Trial != nil || st.Active != firmware.SlotA || st.Versions[firmware.SlotB] != "" {
		t.Fatalf("after a refused artifact the slots are %+v, %v", st, err)
	}
	if left, _ := filepath.Glob(filepath.Join(cfg.DataDir, "update", "*.fw*")); len(left) != 0 {
		t.Errorf("a refused artifact was kept: %q", left)
	}

	// The first try: cut midway.
	central.Send(padA, protocol.DownCmd, cmd("u1"), false)
	central.Until(ctx, "the answer to u1", func() bool { _, ok := central.Result("u1"); return ok })
	if res, _ := central.Result("u1"); res.OK || !strings.Contains(res.Error, "download") {
		t.Fatalf("u1 answered %+v, want refused: the download was cut", res)
	}
	if st, err := slots.State(); err != nil || st.Trial != nil || st.Active != firmware.SlotA || st.Versions[firmware.SlotB] != "" {
		t.Fatalf("after the cut download the slots are %+v, %v", st, err)
	}
	// The central tries again: the download resumes, and its progress is
	// on up/status.
	central.Send(padA, protocol.DownCmd, cmd("u2"), false)
	central.Until(ctx, "download progress", func() bool {
		for _, u := range central.Updates(padA) {
			if u.ID == "u2" && u.State == protocol.UpdateDownloading && u.Bytes > int64(len(data)/2) && u.Bytes < u.Total {
				return true
			}
		}
		return false
	})
	srv.free()
	central.Until(ctx, "the answer to u2", func() bool { _, ok := central.Result("u2"); return ok })
	if res, _ := central.Result("u2"); !res.OK {
		t.Fatalf("u2 answered %+v", res)
	}
	if err := within(t, "Run to end for the restart", done); !errors.Is(err, ErrRestart) {
		t.Fatalf("Run: %v, want ErrRestart", err)
	}
	reqs := srv.requests()
	if len(reqs) != 2 || reqs[0] != "" || !strings.HasPrefix(reqs[1], "bytes=") || reqs[1] == "bytes=0-" {
		t.Errorf("requests with Range %q: want the second to resume", reqs)
	}
	st, err := slots.State()
	if err != nil || st.Active != firmware.SlotB || st.Trial == nil || st.Trial.Version != "1.1.0" || st.Good != firmware.SlotA {
		t.Fatalf("slots %+v, %v", st, err)
	}
	if got, _ := os.ReadFile(slots.Binary(firmware.SlotB)); !bytes.Equal(got, payload) {
		t.Error("slot b does not hold the payload")
	}
	a.Close()

	// The boot supervisor's step, then the new version.
	if _, err := slots.Boot(time.Now()); err != nil {
		t.Fatal(err)
	}
	a2 := build(t, cfg, Parts{Hardware: newFakes().set(), Font: testFont(t), Clock: clock, Boot: slots, Version: "1.1.0"})
	done2, cancel2 := runAgent(a2)
	defer func() { cancel2(); <-done2 }()
	central.Until(ctx, "the update good", func() bool {
		u := central.Updates(padA)
		return len(u) > 0 && u[len(u)-1].State == protocol.UpdateGood
	})
	if st, err := slots.State(); err != nil || st.Good != firmware.SlotB || st.Trial != nil {
		t.Errorf("after the trial: %+v, %v", st, err)
	}
	rate(a2, "S-after")
	central.Until(ctx, "both ratings at the central", func() bool { return len(central.Records(padA)) == 2 })

	// What the central saw, in order.
	var states []string
	var progress int
	for _, u := range central.Updates(padA) {
		if len(states) == 0 || states[len(states)-1] != u.State {
			states = append(states, u.State)
		}
		if u.State == protocol.UpdateDownloading && u.Bytes > 0 && u.Bytes < u.Total {
			progress++
		}
	}
	// Steps close together may share one status message (a refusal is in
	// its cmdresult all the same): the states come in this order, and the
	// outcome of the update is there.
	want := []string{"downloading", "verifying", "failed", "downloading", "failed", "downloading", "verifying", "installing", "trial", "good"}
	i := 0
	for _, s := range states {
		for i < len(want) && want[i] != s {
			i++
		}
		i++
	}
	if i > len(want) || len(states) < 2 || states[len(states)-2] != "trial" || states[len(states)-1] != "good" {
		t.Errorf("update states %q, want them in the order %q, ending trial, good", states, want)
	}
	if progress == 0 {
		t.Error("no download progress on up/status")
	}
	last := central.Updates(padA)[len(central.Updates(padA))-1]
	if last.ID != "u2" || last.Version != "1.1.0" || last.From != "1.0.0" {
		t.Errorf("the last update status %+v", last)
	}
}
