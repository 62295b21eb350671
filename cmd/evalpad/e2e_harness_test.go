package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"evalpad/central"
	"evalpad/central/server"
)

// The end-to-end tests run the real thing: `evalpad sim` and `evalhub` as
// child processes, a Mosquitto of the test's own (sync/mqtttest), and check
// that every rating the pad confirmed is stored by the hub exactly once.

var (
	e2eHubOnce sync.Once
	e2eHubPath string
	e2eHubErr  error
)

// evalhubBinary builds cmd/evalhub once per test run.
func e2eHubBinary(t testing.TB) string {
	t.Helper()
	e2eHubOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evalhub-bin")
		if err != nil {
			e2eHubErr = err
			return
		}
		e2eHubPath = filepath.Join(dir, "evalhub")
		out, err := exec.Command("go", "build", "-o", e2eHubPath, "../evalhub").CombinedOutput()
		if err != nil {
			e2eHubErr = fmt.Errorf("go build evalhub: %v\n%s", err, out)
		}
	})
	if e2eHubErr != nil {
		t.Fatal(e2eHubErr)
	}
	return e2eHubPath
}

// e2eCrashHubEnv, in the environment of this test binary, makes it an
// evalhub that SIGKILLs itself right after its Nth commit, before that
// commit's acks (see TestMain). The evalhub binary has no such switch.
const e2eCrashHubEnv = "EVALPAD_E2E_HUB_CRASH_AFTER_COMMITS"

func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(e2eCrashHubEnv); ok {
		os.Exit(e2eCrashingHub(v, os.Args[1:]))
	}
	if v, ok := os.LookupEnv(updatePauseEnv); ok {
		os.Exit(pausedUpdate(v, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// e2eCrashingHub runs the central as cmd/evalhub does (central/server),
// with the flags the tests give evalhub, and an AfterCommit that kills the
// process after the commits-th commit.
func e2eCrashingHub(commits string, args []string) int {
	n, err := strconv.Atoi(commits)
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "evalhub: %s=%q is not a count\n", e2eCrashHubEnv, commits)
		return 2
	}
	fs := flag.NewFlagSet("evalhub", flag.ContinueOnError)
	broker := fs.String("broker", "", "MQTT broker")
	listen := fs.String("listen", "127.0.0.1:0", "HTTP address")
	data := fs.String("data", "", "state directory")
	db := fs.String("db", "", "database")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := server.Start(ctx, server.Options{
		Hub: central.HubOptions{Broker: *broker, Logger: log, AfterCommit: func(c int) {
			if c >= n {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}},
		Listen: *listen, Data: *data, DB: *db, Logger: log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalhub:", err)
		return 1
	}
	s.Announce(os.Stderr)
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "evalhub:", err)
		return 1
	}
	return 0
}

// e2eHub is a running evalhub.
type e2eHub struct {
	*child
	token string // a supervisor's: the hub shows its records to no one else
}

// e2eStartHub starts the built evalhub with args on a free HTTP port and
// waits until it listens and has subscribed.
func e2eStartHub(t testing.TB, args ...string) *e2eHub {
	t.Helper()
	return e2eHubUp(t, startProcess(t, "evalhub", e2eHubBinary(t), nil, append([]string{"--listen", "127.0.0.1:0"}, args...)...), args)
}

// e2eStartCrashingHub starts this test binary as an evalhub (see TestMain)
// that SIGKILLs itself after its commits-th commit, before its acks; args
// as for e2eStartHub (--broker, --data, --db).
func e2eStartCrashingHub(t testing.TB, commits int, args ...string) *e2eHub {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{fmt.Sprintf("%s=%d", e2eCrashHubEnv, commits)}
	return e2eHubUp(t, startProcess(t, "evalhub", self, env, append([]string{"--listen", "127.0.0.1:0"}, args...)...), args)
}

// e2eHubUp waits until the evalhub c, started with args, has subscribed,
// and gets a supervisor's token for its read API.
func e2eHubUp(t testing.TB, c *child, args []string) *e2eHub {
	t.Helper()
	h := &e2eHub{child: c, token: e2eEvalhub(t, append([]string{"token", "--role", "supervisor"}, e2eStoreArgs(args)...)...)}
	e2eWaitFor(t, 20*time.Second, "evalhub to subscribe", func() bool {
		var c struct{ Subscribed bool }
		return h.get("/api/v1/health", &c) == nil && c.Subscribed
	})
	return h
}

// e2eEvalhub runs an evalhub command (enroll, token) and returns the last
// line of its output: the code or token it printed.
func e2eEvalhub(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(e2eHubBinary(t), args...).Output()
	if err != nil {
		t.Fatalf("evalhub %v: %v\n%s", args, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// e2eStoreArgs picks the flags that name a hub's store (--data, --db) out
// of the flags it was started with.
func e2eStoreArgs(args []string) []string {
	var out []string
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--data" || args[i] == "--db" {
			out = append(out, args[i], args[i+1])
		}
	}
	return out
}

// e2eProvision enrolls device with the hub (its store named by hubArgs)
// and provisions the pad's data dir with the code, as a technician does.
func e2eProvision(t testing.TB, hub *e2eHub, hubArgs []string, device, padDir, cfg string) {
	t.Helper()
	code := e2eEvalhub(t, append([]string{"enroll", "--device", device}, e2eStoreArgs(hubArgs)...)...)
	out, err := exec.Command(evalpadBinary(t), "provision", "--central", hub.base, "--code", code,
		"--data", padDir, "--config", cfg, "--yes", "--timeout", "1s").CombinedOutput()
	if err != nil {
		t.Fatalf("evalpad provision: %v\n%s", err, out)
	}
}

func (h *e2eHub) get(path string, out any) error {
	req, err := http.NewRequest("GET", h.base+path, nil)
	if err != nil {
		return err
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// ids fetches every record id the hub stored, page by page, with how many
// times each came back.
func (h *e2eHub) ids(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	after := ""
	for {
		var page struct {
			Records []struct {
				ID string `json:"id"`
			} `json:"records"`
			Next string `json:"next"`
		}
		if err := h.get("/api/v1/records?limit=1000&after="+after, &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			out[r.ID]++
		}
		if page.Next == "" {
			return out
		}
		after = page.Next
	}
}

type e2eHubCounters struct {
	New, Duplicates, Rejected, Acked, Commits int
}

func (h *e2eHub) counters(t *testing.T) e2eHubCounters {
	var c e2eHubCounters
	if err := h.get("/api/v1/health", &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond every 20ms until it holds or d passes.
func e2eWaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fastConfig writes a pad config that rates as fast as it can.
func e2eConfig(t *testing.T, dir, device string) string {
	t.Helper()
	p := filepath.Join(dir, "evalpad.toml")
	text := fmt.Sprintf("device_id = %q\n[rules]\nmin_interval = \"0s\"\nthanks_duration = \"0s\"\n", device)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// rater drives ratings on a pad and remembers the ones it confirmed.
type e2eRater struct {
	mu        sync.Mutex
	confirmed map[string]bool
	n         int // sessions opened, for unique ids
	prefix    string
}

func e2eNewRater(prefix string) *e2eRater {
	return &e2eRater{confirmed: map[string]bool{}, prefix: prefix}
}

func (r *e2eRater) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.confirmed)
}

// rate makes ratings on c one session after the other (as a counter
// does), until n more are confirmed, stop closes, or c is gone.
func (r *e2eRater) rate(c *child, n int, stop <-chan struct{}) {
	target := r.count() + n
	var wg sync.WaitGroup
	for w := range 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for r.count() < target {
				select {
				case <-stop:
					return
				default:
				}
				r.mu.Lock()
				r.n++
				sid := fmt.Sprintf("S-%s-%d", r.prefix, r.n)
				r.mu.Unlock()
				sess := map[string]any{"session_id": sid, "mode": "single",
					"staff": map[string]string{"id": "TA0123", "name": "李四"},
					"cases": []map[string]string{{"project_no": "P" + sid, "task_code": "T001", "task_name": "企业设立登记"}}}
				if code, err := c.call("POST", "/api/v1/sessions", sess, nil); err != nil || code >= 300 {
					if err != nil {
						return // the pad is gone
					}
					continue
				}
				var out struct {
					Result string `json:"result"`
					Record *struct {
						ID string `json:"id"`
					} `json:"record"`
				}
				stars := 1 + rng.IntN(5)
				if _, err := c.call("POST", fmt.Sprintf("/sim/press/%d", stars), nil, &out); err != nil {
					return
				}
				if out.Result == "reasons" {
					codes := map[int][]string{1: {"115"}, 2: {"213", "214"}}[stars]
					if _, err := c.call("POST", "/sim/reasons", map[string]any{"codes": codes}, &out); err != nil {
						return
					}
				}
				if out.Result == "recorded" && out.Record != nil {
					r.mu.Lock()
					r.confirmed[out.Record.ID] = true
					r.mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
}

// pending is the pad's unacked record count, -1 if it cannot be read.
func e2ePending(c *child) int {
	var st struct {
		Outbox struct {
			Pending int `json:"pending"`
		} `json:"outbox"`
	}
	if code, err := c.call("GET", "/api/v1/state", nil, &st); err != nil || code != 200 {
		return -1
	}
	return st.Outbox.Pending
}

// checkExactlyOnce waits until the pad's outbox is empty, then checks that
// the hub holds every record of the pad's store, each once, and nothing else,
// and that every confirmed rating is among them.
func e2eCheckExactlyOnce(t *testing.T, pad *child, hub *e2eHub, r *e2eRater) {
	t.Helper()
	e2eWaitFor(t, 90*time.Second, "the pad's outbox to drain", func() bool { return e2ePending(pad) == 0 })
	local := pad.records(t)
	got := hub.ids(t)
	for id, n := range got {
		if n != 1 {
			t.Errorf("record %s listed %d times by the hub", id, n)
		}
	}
	inStore := map[string]bool{}
	for _, s := range local {
		inStore[s.ID] = true
		if got[s.ID] != 1 {
			t.Errorf("record %s (seq %d) of the pad is stored %d times by the hub", s.ID, s.Seq, got[s.ID])
		}
	}
	for id := range got {
		if !inStore[id] {
			t.Errorf("the hub holds %s, which the pad never stored", id)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.confirmed {
		if got[id] != 1 {
			t.Errorf("confirmed rating %s stored %d times by the hub", id, got[id])
		}
	}
	if t.Failed() {
		t.Logf("pad log:\n%s\nhub log:\n%s", e2eTail(pad.stderr(), 4000), e2eTail(hub.stderr(), 4000))
	}
	t.Logf("%d ratings confirmed, %d records on the pad, %d stored by the hub, hub %+v",
		len(r.confirmed), len(local), len(got), hub.counters(t))
}

func e2eTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
