package central

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"evalpad/rating"
)

// The time limit on a rating (评价时限): a case not rated is due a reminder
// after 1 working day and gets a default 4★ (满意) after 4 more working days.
// Days count from the date the session was served (its opened_at, else at),
// in the pad's zone:
//
//	served Fri 2026-02-13 → reminder Sat 02-14 (调休 working day)
//	                      → default  Fri 02-27 (02-15..23 are 春节)
const (
	ReminderWorkdays = 1
	DefaultWorkdays  = 4 // after the reminder
)

// Deadlines are the days an unrated session's reminder and default are due
// (midnight of that day, in the pad's zone).
type Deadlines struct {
	Reminder time.Time `json:"reminder"`
	Default  time.Time `json:"default"`
}

// Deadlines of a session served at served.
func (c *Calendar) Deadlines(served time.Time) Deadlines {
	r := c.AddWorkdays(served, ReminderWorkdays)
	return Deadlines{Reminder: r, Default: c.AddWorkdays(r, DefaultWorkdays)}
}

// Served is when an unrated record's session was served.
func Served(r *rating.Record) (time.Time, error) {
	s := r.OpenedAt
	if s == "" {
		s = r.At
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("central: record %s: served time %q: %w", r.ID, s, err)
	}
	return t, nil
}

// DefaultID is the id of the default record of unrated record id: derived,
// so the rule adding it twice stores it once.
func DefaultID(unratedID string) string {
	h := sha256.Sum256([]byte("evalhub default 4★ of " + unratedID))
	h[6] = h[6]&0x0f | 0x80 // version 8: custom
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// DefaultRecord is the 4★ record the rule gives an unrated session: the
// same session, cases, staff and time, stars 4, flag "default". The
// central makes it, so it carries no pad's signature (sig ""): what
// vouches for it is the unrated record it derives from (DefaultID), which
// was stored only with its pad's valid signature, and the flag, which the
// hub refuses from pads.
func DefaultRecord(u rating.Record) rating.Record {
	d := u
	d.ID, d.Sig = DefaultID(u.ID), ""
	d.Kind, d.Stars, d.Good = rating.KindRating, 4, true
	d.Reasons = []string{}
	d.Cases = slices.Clone(u.Cases)
	d.Flags = append(slices.DeleteFunc(slices.Clone(u.Flags), func(f string) bool { return f == FlagDefault }), FlagDefault)
	return d
}

// Unrated is one unrated session and where it stands.
type Unrated struct {
	ID        string    `json:"id"`
	DeviceID  string    `json:"device_id"`
	SessionID string    `json:"session_id"`
	Hall      string    `json:"hall"`
	Window    string    `json:"window"`
	Staff     string    `json:"staff"`
	Served    string    `json:"served"`
	Deadlines Deadlines `json:"deadlines"`
	// Status: "waiting" (before the reminder day), "remind" (reminder due),
	// "defaulted" (the default 4★ record is stored), "rated" (StatusRated:
	// rated through another channel), "calendar_missing"
	// (StatusCalendarMissing: a year from served to the default day has no
	// known arrangement; no default is given until one is).
	Status string `json:"status"`
}

// StatusRated is the status of an unrated session rated since through
// another channel (the receipt's QR code): no reminder, no default.
const StatusRated = "rated"

// StatusCalendarMissing is the status of an unrated session whose
// deadlines fall in a year the calendar does not know (Calendar.Source).
const StatusCalendarMissing = "calendar_missing"

// TimeRule applies the time limit to the stored unrated sessions.
type TimeRule struct {
	Cal    *Calendar
	Store  Store
	Logger *slog.Logger
}

// Check applies the rule at now (Apply) and lists the unrated sessions
// matching f, the defaulted ones too, with their state at now (List). It
// returns the list and how many default records it added.
func (tr *TimeRule) Check(ctx context.Context, f Filter, now time.Time) ([]Unrated, int, error) {
	n, err := tr.Apply(ctx, now)
	if err != nil {
		return nil, 0, err
	}
	list, err := tr.List(ctx, f, true, now)
	return list, n, err
}

// applyPage is how many pending sessions Apply reads at a time.
const applyPage = 50

// Apply stores the default 4★ record of each unrated session past its
// default day at now (safe to run again and from several hubs) and says how
// many it added. It reads only sessions not yet defaulted and served more
// than 5 days ago (1 + 4 working days are at least that), oldest first,
// and stops at the first one not due: a later one is not due either.
func (tr *TimeRule) Apply(ctx context.Context, now time.Time) (int, error) {
	due := now.Add(-(ReminderWorkdays + DefaultWorkdays) * 24 * time.Hour).UnixMilli()
	added, after := 0, ""
	for {
		page, err := tr.Store.Unrated(ctx, UnratedQuery{Filter: Filter{Limit: applyPage, After: after}, DueMS: due})
		if err != nil {
			return added, err
		}
		var add []Row
		stop := len(page) < applyPage
		for _, u := range page {
			served, err := time.Parse(time.RFC3339Nano, u.Served)
			if err != nil {
				return added, fmt.Errorf("central: record %s: served time %q: %w", u.ID, u.Served, err)
			}
			// Not due, or due in a year the calendar does not know (held
			// until it does): a later session is neither.
			if dl := tr.Cal.Deadlines(served); now.Before(dl.Default) || len(tr.Cal.Missing(served, dl.Default)) > 0 {
				stop = true
				break
			}
			row, err := tr.Store.Record(ctx, u.ID)
			if errors.Is(err, ErrNotStored) { // deleted by retention: nothing to default
				if tr.Logger != nil {
					tr.Logger.Warn("evalhub: time rule: an unrated session's record is gone", "id", u.ID)
				}
				continue
			}
			if err != nil {
				return added, err
			}
			d := DefaultRecord(row.Record)
			body, err := json.Marshal(d)
			if err != nil {
				return added, err
			}
			add = append(add, NewRow(d, body, now))
		}
		if len(add) > 0 {
			res, err := tr.Store.Insert(ctx, add, nil)
			if err != nil {
				return added, err
			}
			added += res.New
			if tr.Logger != nil && res.New > 0 {
				tr.Logger.Info("evalhub: default 4★ given to sessions not rated in time", "records", res.New)
			}
		}
		if stop {
			return added, nil
		}
		after = page[len(page)-1].ID
	}
}

// List lists the unrated sessions matching f (f.Limit and f.After page
// them, oldest served first), with their state at now: only those not yet
// defaulted unless all.
func (tr *TimeRule) List(ctx context.Context, f Filter, all bool, now time.Time) ([]Unrated, error) {
	rows, err := tr.Store.Unrated(ctx, UnratedQuery{Filter: f, All: all})
	if err != nil {
		return nil, err
	}
	out := make([]Unrated, 0, len(rows))
	for _, u := range rows {
		served, err := time.Parse(time.RFC3339Nano, u.Served)
		if err != nil {
			return nil, fmt.Errorf("central: record %s: served time %q: %w", u.ID, u.Served, err)
		}
		dl := tr.Cal.Deadlines(served)
		st := Unrated{ID: u.ID, DeviceID: u.DeviceID, SessionID: u.SessionID, Hall: u.Hall, Window: u.Window,
			Staff: u.StaffName, Served: served.Format(time.RFC3339), Deadlines: dl, Status: "waiting"}
		switch {
		case u.Rated:
			st.Status = StatusRated
		case u.Defaulted:
			st.Status = "defaulted"
		case len(tr.Cal.Missing(served, dl.Default)) > 0:
			st.Status = StatusCalendarMissing
		case !now.Before(dl.Reminder):
			st.Status = "remind"
		}
		out = append(out, st)
	}
	return out, nil
}

// Run checks every interval until ctx ends (the hub runs it hourly).
func (tr *TimeRule) Run(ctx context.Context, interval time.Duration, now func() time.Time) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := tr.Apply(ctx, now()); err != nil && tr.Logger != nil && ctx.Err() == nil {
			tr.Logger.Error("evalhub: time rule", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
