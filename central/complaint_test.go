package central

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func cday(day string, hour int) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, day, cst)
	if err != nil {
		panic(err)
	}
	return d.Add(time.Duration(hour) * time.Hour)
}

// TestComplaintDeadlines: the deadlines in working days across the 2026
// Spring Festival (off 02-15..02-23, 调休 working Saturdays 02-14 and
// 02-28) and National Day with 中秋 (off 09-25, 10-01..10-07, 调休 working
// 09-20 Sunday and 10-10 Saturday); overdue flagged the day after a
// deadline and not on it; a late appeal refused naming the day it closed;
// a year the calendar does not know gives calendar_missing, no guess.
func TestComplaintDeadlines(t *testing.T) {
	rules := ComplaintRules{Cal: &Calendar{}}
	by := Action{By: "王科长", Note: "n"}
	act := func(c Complaint, name string, now time.Time) Complaint {
		t.Helper()
		a := by
		a.Name = name
		out, err := rules.next(c, a, now)
		if err != nil {
			t.Fatalf("%s at %s: %v", name, now, err)
		}
		return out
	}

	// Spring Festival: a 差评 on Thursday 02-12.
	c := Complaint{ID: "x", Day: "2026-02-12", State: StateVerify}
	rules.Deadlines(&c, cday("2026-02-12", 10))
	if c.AppealDue != "2026-02-24" || c.CalendarMissing { // 02-13, 02-14 (调休), 02-24
		t.Errorf("appeal due %q (missing %v), want 2026-02-24", c.AppealDue, c.CalendarMissing)
	}
	a := by
	a.Name = "appeal"
	if _, err := rules.next(c, a, cday("2026-02-25", 9)); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "closed on 2026-02-24") {
		t.Errorf("an appeal on 02-25: %v, want a conflict naming 02-24", err)
	}
	c = act(c, "verify", cday("2026-02-12", 11))
	c = act(c, "rectify", cday("2026-02-13", 16)) // Friday
	for _, tc := range []struct {
		now     time.Time
		overdue bool
	}{{cday("2026-02-27", 23), false}, {cday("2026-02-28", 9), true}} {
		rules.Deadlines(&c, tc.now)
		// 02-14 (调休), 02-24, 02-25, 02-26, 02-27
		if c.CallbackDue != "2026-02-27" || slices.Contains(c.Overdue, "回访超期") != tc.overdue {
			t.Errorf("at %s: callback due %q overdue %v, want 2026-02-27 %v", tc.now, c.CallbackDue, c.Overdue, tc.overdue)
		}
	}
	c = act(c, "appeal", cday("2026-02-24", 17)) // the last day
	rules.Deadlines(&c, cday("2026-02-24", 17))
	if c.ReviewDue != "2026-02-27" {
		t.Errorf("review due %q, want 2026-02-27", c.ReviewDue)
	}

	// National Day: a 差评 on Wednesday 09-30, appealed the same day.
	c = Complaint{ID: "y", Day: "2026-09-30", State: StateVerify}
	c = act(c, "appeal", cday("2026-09-30", 15))
	for _, tc := range []struct {
		now     time.Time
		overdue bool
	}{{cday("2026-10-10", 18), false}, {cday("2026-10-11", 9), true}} {
		rules.Deadlines(&c, tc.now)
		// 10-08, 10-09, 10-10 (调休 Saturday)
		if c.AppealDue != "2026-10-10" || c.ReviewDue != "2026-10-10" || slices.Contains(c.Overdue, "复核超期") != tc.overdue {
			t.Errorf("at %s: appeal due %q review due %q overdue %v", tc.now, c.AppealDue, c.ReviewDue, c.Overdue)
		}
	}
	// Rectified on Friday 09-18: 09-20 (调休 Sunday), 09-21..09-24.
	c = Complaint{ID: "z", Day: "2026-09-17", State: StateRectify}
	c = act(c, "rectify", cday("2026-09-18", 10))
	rules.Deadlines(&c, cday("2026-09-18", 10))
	if c.CallbackDue != "2026-09-24" {
		t.Errorf("callback due %q, want 2026-09-24", c.CallbackDue)
	}

	// A year the calendar does not know.
	c = Complaint{ID: "w", Day: "2040-03-01", State: StateVerify}
	rules.Deadlines(&c, cday("2040-03-01", 10))
	if !c.CalendarMissing || c.AppealDue != "" {
		t.Errorf("2040: missing %v appeal due %q", c.CalendarMissing, c.AppealDue)
	}
	if _, err := rules.next(c, a, cday("2040-03-01", 11)); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "calendar_missing") {
		t.Errorf("an appeal in 2040: %v", err)
	}
}

// TestComplaintTransitions: each step only from its state; the conflict
// names the state; a review needs upheld and, upheld, a mark.
func TestComplaintTransitions(t *testing.T) {
	rules := ComplaintRules{Cal: &Calendar{}}
	now := cday("2026-11-25", 10)
	c := Complaint{ID: "x", Day: "2026-11-25", State: StateVerify}
	for _, name := range []string{"rectify", "callback", "review"} {
		_, err := rules.next(c, Action{Name: name, By: "a"}, now)
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), StateVerify) {
			t.Errorf("%s on a new case: %v", name, err)
		}
	}
	if _, err := rules.next(c, Action{Name: "verify"}, now); !errors.Is(err, ErrBadAction) {
		t.Errorf("verify without by: %v", err)
	}
	c, _ = rules.next(c, Action{Name: "appeal", By: "a"}, now)
	if _, err := rules.next(c, Action{Name: "review", By: "b"}, now); !errors.Is(err, ErrBadAction) {
		t.Errorf("review without upheld: %v", err)
	}
	yes := true
	if _, err := rules.next(c, Action{Name: "review", By: "b", Upheld: &yes, Mark: "好"}, now); !errors.Is(err, ErrBadAction) {
		t.Errorf("review with a bad mark: %v", err)
	}
	if _, err := rules.next(c, Action{Name: "appeal", By: "a"}, now); !errors.Is(err, ErrConflict) {
		t.Errorf("a second appeal: %v", err)
	}
}
