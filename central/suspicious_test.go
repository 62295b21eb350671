package central

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/sync/protocol"
)

// TestLoadThresholds: a file changes what it names and keeps the rest at
// the defaults; an unknown name, a bad duration or an impossible value is
// refused with an error naming it.
func TestLoadThresholds(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "t.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := LoadThresholds(write(`{"burst_count": 8, "repeat_window": "90m"}`))
	want := DefaultThresholds()
	want.BurstCount, want.RepeatWindow = 8, Duration(90*time.Minute)
	if err != nil || got != want {
		t.Fatalf("%+v %v", got, err)
	}
	for body, name := range map[string]string{`{"burst": 8}`: "burst", `{"quick_press": "soon"}`: "duration",
		`{"alpha": 0}`: "alpha", `{"repeat_count": 1}`: "repeat_count", `[`: "t.json"} {
		if _, err := LoadThresholds(write(body)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", body, err)
		}
	}
	if _, err := LoadThresholds(filepath.Join(dir, "none.json")); err == nil {
		t.Error("a missing file is no error")
	}
}

// TestPauseHistory: only changes of the paused state are kept, dated by
// the pad's clock when its status says when; a rating is while paused
// from the pause to the resume, on both backends.
func TestPauseHistory(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be.open(t))
			ctx := context.Background()
			at := time.Date(2026, 11, 25, 9, 0, 0, 0, simZone)
			for i, screen := range []string{"idle", "paused", "paused", "rating", "idle", "paused"} {
				when := at.Add(time.Duration(i) * time.Minute)
				status := protocol.Status{Screen: screen, At: when.Format(time.RFC3339)}
				if i == 5 {
					status.At = "" // no pad time: when received
				}
				if err := st.RecordStatus(ctx, "P1", status, when.Add(5*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			ps, err := st.pauses(ctx, SuspectQuery{From: at.Add(-time.Hour), To: at.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			m := func(d time.Duration) int64 { return at.Add(d).UnixMilli() }
			want := []pause{{m(time.Minute), true}, {m(3 * time.Minute), false}, {m(5*time.Minute + 5*time.Second), true}}
			if !slices.Equal(ps["P1"], want) || len(ps) != 1 {
				t.Fatalf("history %v, want %v", ps, want)
			}
			for d, paused := range map[time.Duration]bool{30 * time.Second: false, 2 * time.Minute: true,
				4 * time.Minute: false, 5 * time.Minute: false, 6 * time.Minute: true} {
				if got := pausedWhen(ps["P1"], m(d)); got != paused {
					t.Errorf("at +%s: paused %v", d, got)
				}
			}
			// A window starting inside the pause still knows it began before.
			ps, err = st.pauses(ctx, SuspectQuery{From: at.Add(2 * time.Minute), To: at.Add(time.Hour)})
			if err != nil || !pausedWhen(ps["P1"], m(2*time.Minute+time.Second)) {
				t.Errorf("from inside the pause: %v %v", ps, err)
			}
		})
	}
}
