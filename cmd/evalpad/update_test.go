package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/firmware"
	"evalpad/firmware/firmwaretest"
	"evalpad/store"
	"evalpad/sync/protocol"
)

// updatePauseEnv makes the test binary run `evalpad update` (its args)
// and stop at the named step, printing "paused at STEP", until killed.
// Only the test binary has this: the evalpad binary's updateStep is nil.
const updatePauseEnv = "EVALPAD_TEST_UPDATE_PAUSE"

func pausedUpdate(step string, args []string) int {
	updateStep = func(s string) {
		if s == step {
			fmt.Fprintln(os.Stdout, "paused at "+s)
			select {}
		}
	}
	return run(args, os.Stdout, os.Stderr)
}

// The builds the firmware tests run: evalpad 1.0.0 ("old"), 1.1.0 ("new")
// and 2.0.0, whose store format is 2 (store/format.go with Format = 2
// and a migration 1 → 2 that adds nothing, through go build -overlay);
// and artifacts of them signed with the test vendor key.
var fw struct {
	once                 sync.Once
	err                  error
	dir                  string
	old, new, v2         string // binaries
	good, v2fw, crash    string // artifacts: 1.1.0, 2.0.0 (store format 2), a payload that exits 1
	badSig, unknownKey   string
	wrongArch, truncated string
	format1              string // 1.1.0 at store format 1, signed (for a pad at format 2)
	pub                  string // the test vendor public key file
}

func buildFirmware(t *testing.T) {
	t.Helper()
	fw.once.Do(func() { fw.err = buildFirmwareOnce(t) })
	if fw.err != nil {
		t.Fatal(fw.err)
	}
}

func buildFirmwareOnce(t *testing.T) error {
	dir, err := os.MkdirTemp("", "evalpad-fw")
	if err != nil {
		return err
	}
	fw.dir = dir
	build := func(out, version string, extra ...string) error {
		args := append([]string{"build", "-ldflags", "-X main.version=" + version, "-o", out}, extra...)
		b, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build %s: %v\n%s", version, err, b)
		}
		return nil
	}
	fw.old, fw.new, fw.v2 = filepath.Join(dir, "evalpad-1.0.0"), filepath.Join(dir, "evalpad-1.1.0"), filepath.Join(dir, "evalpad-2.0.0")
	if err := build(fw.old, "1.0.0"); err != nil {
		return err
	}
	if err := build(fw.new, "1.1.0"); err != nil {
		return err
	}
	src, err := filepath.Abs("../../store/format.go")
	if err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	patched := strings.Replace(string(b), "const Format = 1", "const Format = 2", 1)
	patched = strings.Replace(patched, "var migrations = []func(tx *bolt.Tx) error{}",
		"var migrations = []func(tx *bolt.Tx) error{func(*bolt.Tx) error { return nil }}", 1)
	if patched == string(b) || strings.Count(patched, "Format = 2") != 1 {
		return fmt.Errorf("store/format.go: cannot make format 2 from it")
	}
	over := filepath.Join(dir, "format2.go")
	if err := os.WriteFile(over, []byte(patched), 0o600); err != nil {
		return err
	}
	ov, _ := json.Marshal(map[string]any{"Replace": map[string]string{src: over}})
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), ov, 0o600); err != nil {
		return err
	}
	if err := build(fw.v2, "2.0.0", "-overlay", filepath.Join(dir, "overlay.json")); err != nil {
		return err
	}
	if fw.pub, err = filepath.Abs("../../firmware/testdata/vendor.pub"); err != nil {
		return err
	}
	read := func(p string) []byte { b, _ := os.ReadFile(p); return b }
	art := func(sub string, key ed25519.PrivateKey, version, arch string, format int, payload []byte) string {
		d := filepath.Join(dir, sub)
		os.MkdirAll(d, 0o755)
		m := firmwaretest.Manifest(version, arch)
		m.StoreFormat = format
		return firmwaretest.Artifact(t, d, key, m, payload)
	}
	newBin := read(fw.new)
	fw.good = art("good", nil, "1.1.0", runtime.GOARCH, 1, newBin)
	fw.v2fw = art("v2", nil, "2.0.0", runtime.GOARCH, 2, read(fw.v2))
	fw.format1 = fw.good
	fw.crash = art("crash", nil, "1.2.0", runtime.GOARCH, 1, []byte("#!/bin/sh\necho 'crashing at start' >&2\nexit 1\n"))
	other := ed25519.NewKeyFromSeed([]byte("another vendor key, not trusted!"))
	fw.unknownKey = art("unknown", other, "1.1.0", runtime.GOARCH, 1, newBin)
	arch := "riscv64"
	if runtime.GOARCH == arch {
		arch = "arm64"
	}
	fw.wrongArch = art("arch", nil, "1.1.0", arch, 1, newBin)
	// A manifest changed after signing: the version 1.1.0 made 1.1.9.
	good := read(fw.good)
	tampered := bytes.Replace(good, []byte(`"version":"1.1.0"`), []byte(`"version":"1.1.9"`), 1)
	if bytes.Equal(tampered, good) {
		return fmt.Errorf("the artifact's manifest has no \"version\":\"1.1.0\"")
	}
	fw.badSig = filepath.Join(dir, "badsig.fw")
	fw.truncated = filepath.Join(dir, "truncated.fw")
	if err := os.WriteFile(fw.badSig, tampered, 0o644); err != nil {
		return err
	}
	return os.WriteFile(fw.truncated, good[:len(good)/2], 0o644)
}

// fwPad is a pad with agent slots: SLOTS (a holds the first binary), DATA,
// and its config.
type fwPad struct {
	t          *testing.T
	slots      string
	data, conf string
	svc        *service
	sessions   int
}

func newFWPad(t *testing.T, bin, version, conf string) *fwPad {
	t.Helper()
	buildFirmware(t)
	dir := t.TempDir()
	p := &fwPad{t: t, slots: filepath.Join(dir, "slots"), data: filepath.Join(dir, "data"), conf: filepath.Join(dir, "evalpad.toml")}
	if err := firmware.InitSlots(p.slots, bin, version); err != nil {
		t.Fatal(err)
	}
	conf = fmt.Sprintf("[rules]\nmin_interval = \"0s\"\nthanks_duration = \"0s\"\n[update]\nvendor_keys = [%q]\n", fw.pub) + conf
	if err := os.WriteFile(p.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.svc != nil {
			p.svc.stop()
		}
	})
	return p
}

// service runs the pad as systemd runs scripts/systemd/evalpad.service:
// SLOTS/good/evalpad boot … -- sim …, started again whenever it exits
// (Restart=always).
type service struct {
	p       *fwPad
	mu      sync.Mutex
	cur     *exec.Cmd
	base    string
	starts  int
	log     bytes.Buffer
	ready   chan string
	quit    chan struct{}
	stopped chan struct{}
}

func (p *fwPad) start() *service {
	p.t.Helper()
	s := &service{p: p, ready: make(chan string, 16), quit: make(chan struct{}), stopped: make(chan struct{})}
	p.svc = s
	go s.loop()
	return s
}

func (s *service) loop() {
	defer close(s.stopped)
	for {
		select {
		case <-s.quit:
			return
		default:
		}
		cmd := exec.Command(filepath.Join(s.p.slots, "good", "evalpad"), "boot", "--slots", s.p.slots, "--trial", "3s", "--",
			"sim", "--listen", "127.0.0.1:0", "--data", s.p.data, "--config", s.p.conf)
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+s.p.data)
		stderr, _ := cmd.StderrPipe()
		cmd.Stdout = cmd.Stderr
		if err := cmd.Start(); err != nil {
			s.note("start: " + err.Error())
			return
		}
		s.mu.Lock()
		s.cur, s.starts = cmd, s.starts+1
		s.mu.Unlock()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.note(line)
			if a, ok := strings.CutPrefix(line, "evalpad: listening on "); ok {
				s.ready <- a
			}
		}
		err := cmd.Wait()
		s.note(fmt.Sprintf("service: exited: %v", err))
		select {
		case <-s.quit:
			return
		case <-time.After(100 * time.Millisecond): // RestartSec
		}
	}
}

func (s *service) note(line string) {
	s.mu.Lock()
	s.log.WriteString(line + "\n")
	s.mu.Unlock()
}

func (s *service) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// up waits for the next start that listens and returns a client of it.
func (s *service) up() *child {
	s.p.t.Helper()
	select {
	case a := <-s.ready:
		return &child{base: a}
	case <-time.After(30 * time.Second):
		s.p.t.Fatalf("the pad did not come up:\n%s", s.logs())
	}
	return nil
}

// stop ends the service as systemctl stop does: SIGINT to the supervisor,
// which hands it to the agent and exits with the agent; the loop starts no
// other.
func (s *service) stop() {
	close(s.quit)
	s.mu.Lock()
	cmd := s.cur
	s.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-s.stopped:
	case <-time.After(20 * time.Second):
		if cmd != nil {
			cmd.Process.Kill()
		}
		<-s.stopped
	}
}

// restart is a reboot: the service stopped and started again.
func (p *fwPad) restart() *child {
	p.t.Helper()
	p.svc.stop()
	return p.start().up()
}

// rate opens a session and rates it 5★ on c; it returns the record id.
func (p *fwPad) rate(c *child) string {
	p.t.Helper()
	p.sessions++
	sid := fmt.Sprintf("S-FW-%d", p.sessions)
	sess := map[string]any{"session_id": sid, "mode": "single", "staff": map[string]string{"id": "TA0123", "name": "李四"},
		"cases": []map[string]string{{"project_no": "P" + sid, "task_name": "企业设立登记"}}}
	if code, err := c.call("POST", "/api/v1/sessions", sess, nil); err != nil || code >= 300 {
		p.t.Fatalf("open session: %d %v\n%s", code, err, p.svc.logs())
	}
	var out struct {
		Record *struct {
			ID string `json:"id"`
		} `json:"record"`
	}
	if code, err := c.call("POST", "/sim/press/5", nil, &out); err != nil || code >= 300 || out.Record == nil {
		p.t.Fatalf("press: %d %v %+v", code, err, out)
	}
	return out.Record.ID
}

// check asserts the pad runs version and has exactly the records ids (all
// rated before) plus one it rates now.
func (p *fwPad) check(c *child, version string, ids []string) []string {
	p.t.Helper()
	var st struct {
		Version string `json:"version"`
	}
	if _, err := c.call("GET", "/api/v1/state", nil, &st); err != nil {
		p.t.Fatal(err)
	}
	if !strings.HasPrefix(st.Version, version) {
		p.t.Errorf("the pad runs %q, want %s\n%s", st.Version, version, p.svc.logs())
	}
	ids = append(ids, p.rate(c))
	recs := c.records(p.t)
	if len(recs) != len(ids) {
		p.t.Fatalf("%d records, want %d", len(recs), len(ids))
	}
	for i, r := range recs {
		if r.ID != ids[i] {
			p.t.Errorf("record %d is %s, want %s", i, r.ID, ids[i])
		}
	}
	return ids
}

func (p *fwPad) slotsState() firmware.State {
	p.t.Helper()
	st, err := (&firmware.AgentSlots{Root: p.slots}).State()
	if err != nil {
		p.t.Fatal(err)
	}
	return st
}

// update runs `evalpad update` (bin) for artifact and returns its output.
func (p *fwPad) update(bin, artifact string) (string, error) {
	cmd := exec.Command(bin, "update", "--file", artifact, "--vendor-key", fw.pub, "--slots", p.slots, "--data", p.data)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *fwPad) updateStatus() protocol.UpdateStatus {
	p.t.Helper()
	var s protocol.UpdateStatus
	b, err := os.ReadFile(filepath.Join(p.data, "update", "status.json"))
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// untilTrialOver waits until the trial of the slots ended (marked good or
// rolled back).
func (p *fwPad) untilTrialOver() firmware.State {
	p.t.Helper()
	for range 300 {
		if st := p.slotsState(); st.Trial == nil {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("still on trial:\n%s", p.svc.logs())
	return firmware.State{}
}

func TestUpdateByHand(t *testing.T) {
	buildFirmware(t)
	p := newFWPad(t, fw.old, "1.0.0", "")
	c := p.start().up()
	ids := p.check(c, "1.0.0", nil)
	out, err := p.update(filepath.Join(p.slots, "good", "evalpad"), fw.good)
	if err != nil {
		t.Fatalf("evalpad update: %v\n%s", err, out)
	}
	for _, want := range []string{"update: verify: agent 1.1.0", "update: install:", "update: switch: slot b (1.1.0)",
		"update: restart: the boot supervisor restarts evalpad into 1.1.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	c = p.svc.up() // the supervisor restarted into the new version, on trial
	st := p.untilTrialOver()
	if st.Active != firmware.SlotB || st.Good != firmware.SlotB || st.Failed != nil || st.Versions[firmware.SlotB] != "1.1.0" {
		t.Errorf("after the trial: %+v\n%s", st, p.svc.logs())
	}
	ids = p.check(c, "1.1.0", ids)
	if s := p.updateStatus(); s.State != protocol.UpdateGood || s.Version != "1.1.0" || s.From != "1.0.0" {
		t.Errorf("update status %+v, want good", s)
	}
	c = p.restart() // a reboot: 1.1.0 is the bootloader now
	p.check(c, "1.1.0", ids)
}

func TestUpdateRefused(t *testing.T) {
	buildFirmware(t)
	p := newFWPad(t, fw.old, "1.0.0", "")
	c := p.start().up()
	ids := p.check(c, "1.0.0", nil)
	before := p.slotsState()
	for _, tc := range []struct{ name, artifact, want string }{
		{"bad signature", fw.badSig, "bad signature"},
		{"unknown key id", fw.unknownKey, "unknown vendor key"},
		{"wrong arch", fw.wrongArch, "wrong architecture"},
		{"truncated payload", fw.truncated, "firmware:"},
	} {
		out, err := p.update(filepath.Join(p.slots, "good", "evalpad"), tc.artifact)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%s: evalpad update: %v, want an error with %q:\n%s", tc.name, err, tc.want, out)
		}
		if st := p.slotsState(); !reflectEqual(st, before) {
			t.Errorf("%s: the slots changed: %+v, were %+v", tc.name, st, before)
		}
		if _, err := os.Stat(filepath.Join(p.slots, "b", "evalpad")); err == nil {
			t.Errorf("%s: slot b was written", tc.name)
		}
	}
	ids = p.check(c, "1.0.0", ids)
	c = p.restart()
	p.check(c, "1.0.0", ids)
}

func reflectEqual(a, b firmware.State) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestUpdateKilledAtEachStep SIGKILLs `evalpad update` as each step
// begins (the test binary stops there), then reboots the pad: before the
// switch it boots the old version, after it the new one on trial, which
// passes. Either way the store is intact and the pad rates, and an update
// cut before the switch can be done again.
func TestUpdateKilledAtEachStep(t *testing.T) {
	buildFirmware(t)
	for _, step := range []string{"verify", "install", "install-half", "switch", "restart"} {
		t.Run(step, func(t *testing.T) {
			p := newFWPad(t, fw.old, "1.0.0", "")
			c := p.start().up()
			ids := p.check(c, "1.0.0", nil)
			cmd := exec.Command(os.Args[0], "update", "--file", fw.good, "--vendor-key", fw.pub, "--slots", p.slots, "--data", p.data)
			cmd.Env = append(os.Environ(), updatePauseEnv+"="+step)
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = cmd.Stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			paused := false
			for sc.Scan() {
				if sc.Text() == "paused at "+step {
					paused = true
					break
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			if !paused {
				t.Fatalf("evalpad update did not reach %s", step)
			}
			c = p.restart() // power back on after the kill
			want := "1.0.0"
			if step == "restart" { // switched before the kill
				want = "1.1.0"
				p.untilTrialOver()
			}
			ids = p.check(c, want, ids)
			if st := p.slotsState(); st.Trial != nil || (want == "1.1.0") != (st.Good == firmware.SlotB) {
				t.Errorf("slots %+v", st)
			}
			if want == "1.0.0" { // the update is done again, to the end
				if out, err := p.update(filepath.Join(p.slots, "good", "evalpad"), fw.good); err != nil {
					t.Fatalf("evalpad update again: %v\n%s", err, out)
				}
				c = p.svc.up()
				p.untilTrialOver()
				p.check(c, "1.1.0", ids)
			}
		})
	}
}

// closedPort is a local TCP address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestUpdateFailsHealthCheck: the new version never reaches the broker in
// its trial; it rolls itself back, and the old version runs and rates and
// reports rolled_back with the failed version.
func TestUpdateFailsHealthCheck(t *testing.T) {
	buildFirmware(t)
	p := newFWPad(t, fw.old, "1.0.0", "trial = \"2s\"\n[sync]\nbroker = \"tcp://"+closedPort(t)+"\"\n")
	c := p.start().up()
	ids := p.check(c, "1.0.0", nil)
	if out, err := p.update(filepath.Join(p.slots, "good", "evalpad"), fw.good); err != nil {
		t.Fatalf("evalpad update: %v\n%s", err, out)
	}
	p.svc.up() // 1.1.0 on trial, which cannot reach the broker
	c = p.svc.up()
	st := p.untilTrialOver()
	if st.Active != firmware.SlotA || st.Good != firmware.SlotA || st.Failed == nil || st.Failed.Version != "1.1.0" {
		t.Fatalf("after the trial: %+v\n%s", st, p.svc.logs())
	}
	p.check(c, "1.0.0", ids)
	if s := p.updateStatus(); s.State != protocol.UpdateRolledBack || s.Version != "1.1.0" || !strings.Contains(s.Error, "broker") {
		t.Errorf("update status %+v, want rolled_back", s)
	}
}

// TestUpdateCrashesAtStart: the new "version" exits 1 at once, three
// boots in a row; the fourth boot runs the old one again.
func TestUpdateCrashesAtStart(t *testing.T) {
	buildFirmware(t)
	p := newFWPad(t, fw.old, "1.0.0", "")
	c := p.start().up()
	ids := p.check(c, "1.0.0", nil)
	if out, err := p.update(filepath.Join(p.slots, "good", "evalpad"), fw.crash); err != nil {
		t.Fatalf("evalpad update: %v\n%s", err, out)
	}
	c = p.svc.up()
	st := p.slotsState()
	if st.Active != firmware.SlotA || st.Failed == nil || st.Failed.Version != "1.2.0" || !strings.Contains(st.Failed.Reason, "boot limit 3") {
		t.Fatalf("after the crashes: %+v %+v\n%s", st, st.Failed, p.svc.logs())
	}
	if n := strings.Count(p.svc.logs(), "crashing at start"); n != 3 {
		t.Errorf("the new version started %d times, want 3", n)
	}
	p.check(c, "1.0.0", ids)
	if s := p.updateStatus(); s.State != protocol.UpdateRolledBack || s.Version != "1.2.0" {
		t.Errorf("update status %+v, want rolled_back", s)
	}
}

// TestUpdateStoreFormat: 2.0.0 writes store format 2; the update to it
// migrates the old store (records intact), and an artifact that reads
// only format 1 is refused before anything is switched.
func TestUpdateStoreFormat(t *testing.T) {
	buildFirmware(t)
	p := newFWPad(t, fw.old, "1.0.0", "")
	c := p.start().up()
	ids := p.check(c, "1.0.0", nil)
	if out, err := p.update(filepath.Join(p.slots, "good", "evalpad"), fw.v2fw); err != nil {
		t.Fatalf("evalpad update to 2.0.0: %v\n%s", err, out)
	}
	c = p.svc.up()
	p.untilTrialOver()
	ids = p.check(c, "2.0.0", ids)
	if n, err := store.FileFormat(filepath.Join(p.data, "evalpad.db")); err != nil || n != 2 {
		t.Errorf("store format %d, %v; want 2 (migrated)", n, err)
	}
	before := p.slotsState()
	out, err := p.update(filepath.Join(p.slots, "good", "evalpad"), fw.format1)
	if err == nil || !strings.Contains(out, "store format downgrade") {
		t.Errorf("a downgrade below the store format: %v\n%s", err, out)
	}
	if st := p.slotsState(); !reflectEqual(st, before) {
		t.Errorf("the slots changed: %+v, were %+v", st, before)
	}
	ids = p.check(c, "2.0.0", ids)
	c = p.restart()
	p.check(c, "2.0.0", ids)
}

// Bad command lines are refused with exit 2 and a message saying what is
// missing, before anything is read or written.
func TestUpdateUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"update"}, "--file FILE or --url URL"},
		{[]string{"update", "--file", "a.fw", "--url", "http://x/a.fw"}, "--file FILE or --url URL"},
		{[]string{"update", "--url", "http://x/a.fw"}, "--url needs --sha256 and --size"},
		{[]string{"update", "--file", "a.fw"}, "--vendor-key PUB is required"},
		{[]string{"update", "--file", "a.fw", "extra"}, "unexpected argument"},
		{[]string{"boot", "--slots", "/s"}, "--slots DIR -- ARGS"},
		{[]string{"boot", "--", "run"}, "--slots DIR -- ARGS"},
		{[]string{"boot", "--slots", "/s", "--boot-limit", "0", "--", "run"}, "--boot-limit is 1 to 20"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("evalpad %q: exit %d, %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
