package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"evalpad/store"
)

type stored struct {
	ID        string `json:"id"`
	Seq       uint64 `json:"seq"`
	Kind      string `json:"kind"`
	SessionID string `json:"session_id"`
	Stars     int    `json:"stars"`
}

func (c *child) records(t *testing.T) []stored {
	t.Helper()
	var out struct {
		Records []struct {
			Record json.RawMessage `json:"record"`
		} `json:"records"`
	}
	if code, err := c.call("GET", "/sim/records", nil, &out); err != nil || code != 200 {
		t.Fatalf("GET /sim/records: %d %v", code, err)
	}
	var recs []stored
	for _, r := range out.Records {
		var s stored
		if err := json.Unmarshal(r.Record, &s); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, s)
	}
	return recs
}

// TestCrashKeepsConfirmedRatings rates as fast as it can on a child
// `evalpad sim`, SIGKILLs it at a random moment, restarts it, and checks
// that every rating whose thank-you the child answered is stored exactly
// once, that seq has no duplicate and keeps increasing, and that the bbolt
// file is consistent. 25 rounds.
func TestCrashKeepsConfirmedRatings(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: starts and kills evalpad 25 times")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "evalpad.toml")
	// No anti-abuse pause and no thank-you delay: as many commits as possible.
	if err := os.WriteFile(cfg, []byte("[rules]\nmin_interval = \"0s\"\nthanks_duration = \"0s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	confirmed := map[string]uint64{} // record id → seq the child answered
	var maxSeqBefore uint64
	sessionN := 0
	const rounds = 25
	for round := 0; round < rounds; round++ {
		c := startSim(t, "--data", data, "--config", cfg)
		recs := c.records(t)
		checkRecords(t, round, recs, confirmed)
		for _, r := range recs {
			maxSeqBefore = max(maxSeqBefore, r.Seq)
		}

		var mu sync.Mutex
		var roundSeqs []uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					sessionN++
					sid := fmt.Sprintf("S-%d-%d-%d", round, w, sessionN)
					mu.Unlock()
					sess := map[string]any{"session_id": sid, "mode": "single",
						"staff": map[string]string{"id": "TA0123", "name": "李四"},
						"cases": []map[string]string{{"project_no": "P" + sid, "task_name": "企业设立登记"}}}
					if code, err := c.call("POST", "/api/v1/sessions", sess, nil); err != nil || code >= 300 {
						continue
					}
					var out struct {
						Result string `json:"result"`
						Screen string `json:"screen"`
						Record *struct {
							ID  string `json:"id"`
							Seq uint64 `json:"seq"`
						} `json:"record"`
					}
					stars := 1 + rng.IntN(5)
					if _, err := c.call("POST", fmt.Sprintf("/sim/press/%d", stars), nil, &out); err != nil {
						continue
					}
					if out.Result == "reasons" {
						codes := map[int][]string{1: {"115"}, 2: {"213", "214"}}[stars]
						if _, err := c.call("POST", "/sim/reasons", map[string]any{"codes": codes}, &out); err != nil {
							continue
						}
					}
					if out.Result == "recorded" && out.Screen == "thanks" && out.Record != nil {
						mu.Lock()
						confirmed[out.Record.ID] = out.Record.Seq
						roundSeqs = append(roundSeqs, out.Record.Seq)
						mu.Unlock()
					}
				}
			}(w)
		}
		time.Sleep(time.Duration(30+rand.IntN(300)) * time.Millisecond)
		c.kill()
		close(stop)
		wg.Wait()
		for _, s := range roundSeqs {
			if s <= maxSeqBefore {
				t.Fatalf("round %d: seq %d issued after restart is not above %d, the highest before it", round, s, maxSeqBefore)
			}
		}
		// The file the killed process left must be consistent.
		st, err := store.Open(filepath.Join(data, "evalpad.db"), store.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		if err := st.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		st.Close()
	}
	c := startSim(t, "--data", data, "--config", cfg)
	recs := c.records(t)
	checkRecords(t, rounds, recs, confirmed)
	if len(confirmed) < rounds*5 {
		t.Errorf("only %d ratings confirmed over %d rounds: the test did not exercise the pad", len(confirmed), rounds)
	}
	t.Logf("%d rounds, %d ratings confirmed, %d records stored", rounds, len(confirmed), len(recs))
}

// checkRecords asserts every confirmed record is stored once with the seq
// the child answered, and that seqs are unique and increase with storage order.
func checkRecords(t *testing.T, round int, recs []stored, confirmed map[string]uint64) {
	t.Helper()
	ids := map[string]int{}
	var seqs []uint64
	for _, r := range recs {
		ids[r.ID]++
		seqs = append(seqs, r.Seq)
	}
	for id, seq := range confirmed {
		if ids[id] != 1 {
			t.Fatalf("after round %d: confirmed record %s stored %d times", round, id, ids[id])
		}
		for _, r := range recs {
			if r.ID == id && r.Seq != seq {
				t.Fatalf("after round %d: record %s stored with seq %d, confirmed with %d", round, id, r.Seq, seq)
			}
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("after round %d: record %s stored %d times", round, id, n)
		}
	}
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Fatalf("after round %d: seqs not strictly increasing: %v", round, seqs)
	}
}
