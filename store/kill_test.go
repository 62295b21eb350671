package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
	"evalpad/store"
)

// childEnv makes the test binary a child that opens the store it names and
// exits: TestSalvageSurvivesKill kills it while it salvages.
const childEnv = "EVALPAD_STORE_TEST_OPEN"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		fmt.Println("opening") // the parent times its kill from this line
		s, err := store.Open(path, store.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A salvage killed at any point leaves the damaged file or the salvaged
// one: the next Open finishes the job, with every salvageable record, the
// damaged original kept once, and no seq issued twice.
func TestSalvageSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large store and salvages it many times")
	}
	const total, acked = 6000, 2000
	fx := buildLarge(t, t.TempDir(), total, acked)
	_, leaves := outboxPages(t, fx.path)
	lost := leafSeqs(page(t, fx.path, leaves[len(leaves)/2]))
	garble(t, fx.path, leaves[len(leaves)/2])
	damaged, err := os.ReadFile(fx.path)
	must(t, err)
	mark, _ := os.ReadFile(fx.path + ".seq") // none: the store keeps no mark

	// One salvage run to the end: what every killed one must come to, and
	// how long it takes.
	want, took, _ := killRound(t, damaged, mark, fx.lastSeq, -1)
	t.Logf("reference salvage of %d records took %v", len(want), took)
	for seq, js := range fx.json {
		e, ok := want[seq]
		if !ok && !slices.Contains(lost, seq) || ok && (!bytes.Equal(e.JSON, js) || e.AckedAt.IsZero() == fx.acked[seq]) {
			t.Fatalf("the reference salvage lost or changed seq %d", seq)
		}
	}
	for seq := range want {
		if _, ok := fx.json[seq]; !ok {
			t.Fatalf("the reference salvage made up seq %d", seq)
		}
	}
	const rounds = 16
	stages := map[string]int{}
	defer func() { t.Logf("the kills left: %v", stages) }()
	for i := range rounds {
		got, _, stage := killRound(t, damaged, mark, fx.lastSeq, took*time.Duration(i)/rounds)
		stages[stage]++
		if len(got) != len(want) {
			t.Errorf("round %d: %d records, want %d", i, len(got), len(want))
		}
		for seq, e := range want {
			if g, ok := got[seq]; !ok || !bytes.Equal(g.JSON, e.JSON) || g.AckedAt != e.AckedAt {
				t.Errorf("round %d: seq %d lost or changed", i, seq)
				break
			}
		}
	}
}

// buildLarge is a fixture of n records appended in batches, the first
// acked ones acked.
func buildLarge(t testing.TB, dir string, n, acked int) *fixture {
	fx := &fixture{path: filepath.Join(dir, "evalpad.db"), json: map[uint64][]byte{}, acked: map[uint64]bool{}}
	s, err := store.Open(fx.path, store.Options{})
	must(t, err)
	var ids []string
	for i := 0; i < n; i += 500 {
		var batch []*rating.Record
		for j := i; j < min(n, i+500); j++ {
			batch = append(batch, rec(j, fmt.Sprintf("S-%d", j)))
			ids = append(ids, batch[len(batch)-1].ID)
		}
		must(t, s.AppendAll(batch, nil))
	}
	_, err = s.Ack(ids[:acked], t0)
	must(t, err)
	must(t, s.Records(func(e store.Entry) error {
		fx.json[e.Seq] = bytes.Clone(e.JSON)
		fx.acked[e.Seq] = !e.AckedAt.IsZero()
		fx.lastSeq = max(fx.lastSeq, e.Seq)
		return nil
	}))
	must(t, s.Close())
	return fx
}

// killRound puts the damaged store in a new directory, runs a child that
// opens it, kills the child after delay (never, when delay < 0), then opens
// it here and checks it; seqs up to issued were issued before the damage.
// It returns the records, how long the child ran, and what the child left.
func killRound(t *testing.T, damaged, mark []byte, issued uint64, delay time.Duration) (map[uint64]store.Entry, time.Duration, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "evalpad.db")
	must(t, os.WriteFile(path, damaged, 0o600))
	if mark != nil {
		must(t, os.WriteFile(path+".seq", mark, 0o600))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	must(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "opening\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	start := time.Now()
	if delay >= 0 {
		kill := time.AfterFunc(delay, func() { cmd.Process.Kill() })
		defer kill.Stop()
	}
	err = cmd.Wait()
	took := time.Since(start)
	if delay < 0 && err != nil {
		t.Fatalf("child: %v: %s", err, stderr.Bytes())
	}
	stage := "the salvaged file"
	if now, _ := os.ReadFile(path); bytes.Equal(now, damaged) {
		stage = "the damaged file"
		if _, err := os.Stat(path + ".salvage"); err == nil {
			stage = "the damaged file and a salvage cut short"
		}
	}

	s := openNoPanic(t, path)
	defer closeChecked(t, s)
	ds := s.Damage()
	if len(ds) != 1 || !strings.Contains(ds[0].Problem, "header says page") {
		t.Fatalf("after a kill at %v: Damage() = %+v", delay, ds)
	}
	if kept, err := os.ReadFile(ds[0].KeptAs); err != nil || !bytes.Equal(kept, damaged) {
		t.Errorf("after a kill at %v: the damaged file kept as %q is not the damaged bytes (%v)", delay, ds[0].KeptAs, err)
	}
	kept, _ := filepath.Glob(path + ".damaged-*")
	building, _ := filepath.Glob(path + ".salvage*")
	if len(kept) != 1 || len(building) != 0 {
		t.Errorf("after a kill at %v: damaged files %v, salvage files %v; want one, none", delay, kept, building)
	}
	got := map[uint64]store.Entry{}
	var last uint64
	must(t, s.Records(func(e store.Entry) error {
		if _, dup := got[e.Seq]; dup {
			t.Errorf("seq %d stored twice", e.Seq)
		}
		e.JSON = bytes.Clone(e.JSON)
		got[e.Seq], last = e, max(last, e.Seq)
		return nil
	}))
	next := rec(99999, "S-next")
	must(t, s.Append(next, nil))
	if next.Seq <= max(last, issued) || next.Seq < ds[0].NextSeq {
		t.Errorf("after a kill at %v: next seq %d, with %d issued and %d promised", delay, next.Seq, issued, ds[0].NextSeq)
	}
	return got, took, stage
}
