package pad_test

import (
	"sync"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/rating"
)

// TestSeqAndIDs makes records of every kind across acks and restarts; the
// rig's cleanup checks seq, times and ids, this checks their order too.
func TestSeqAndIDs(t *testing.T) {
	r := newRig(t, withWalkin)
	var made []string
	keep := func(out pad.Outcome) {
		if out.Record != nil {
			made = append(made, out.Record.ID)
		}
	}
	for i := range 12 {
		switch i % 4 {
		case 0:
			keep(r.press(5, pad.ResultRecorded))
		case 1:
			r.press(2, pad.ResultReasons)
			r.toggle("213")
			keep(r.confirm())
		case 2:
			r.openSession(single("S-" + string(rune('A'+i))))
			r.clock.Advance(10 * time.Minute) // unrated
		case 3:
			r.openSession(batch("S-" + string(rune('A'+i))))
			keep(r.press(3, pad.ResultRecorded))
		}
		r.clock.Advance(7 * time.Second)
		if i%3 == 2 {
			var ids []string
			for _, e := range r.pending()[:1] {
				ids = append(ids, e.ID)
			}
			if _, err := r.st.Ack(ids, r.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if i%5 == 4 {
			r.restart()
		}
	}
	recs := r.records()
	if len(recs) != 12 {
		t.Fatalf("%d records, want 12", len(recs))
	}
	byID := map[string]rating.Record{}
	for i, rec := range recs {
		byID[rec.ID] = rec
		if i > 0 && rec.ID <= recs[i-1].ID {
			t.Errorf("record ids do not sort by time: %s after %s", rec.ID, recs[i-1].ID)
		}
	}
	for _, id := range made {
		if _, ok := byID[id]; !ok {
			t.Errorf("record %s returned by an input is not stored", id)
		}
	}
}

// TestConcurrentInputs is for -race: the pad is safe for concurrent use,
// and a burst of presses at one instant makes one rating.
func TestConcurrentInputs(t *testing.T) {
	r := newRig(t, withWalkin)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := r.p.Press(4 + i%2); err != nil {
				t.Error(err)
			}
			_ = r.p.View()
			_, _ = r.p.SelectTarget(pno1)
			_, _ = r.p.ToggleReason("213")
		})
	}
	wg.Wait()
	if c := r.p.View().Counters; c.Ignored != 7 {
		t.Errorf("counters %+v", c)
	}
	if recs := r.records(); len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r.clock.Advance(3 * time.Second)
	r.screen(pad.ScreenIdle)
}
