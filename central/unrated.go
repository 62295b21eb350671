package central

import (
	"context"
	"crypto/sha256"
	"encoding/json"
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

// Check lists the unrated sessions matching f with their state at now, and
// stores the default 4★ record of each one past its default day (in one
// transaction; safe to run again and from several hubs). It returns the list
// and how many default records it added.
func (tr *TimeRule) Check(ctx context.Context, f Filter, now time.Time) ([]Unrated, int, error) {
	f.Kind, f.Limit, f.After = "unrated", 0, ""
	unrated, err := tr.Store.Records(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	defaults, err := tr.Store.Records(ctx, Filter{Flag: FlagDefault})
	if err != nil {
		return nil, 0, err
	}
	// A session rated through another channel (the receipt's QR) is
	// closed by that record, under the same id: no reminder, no default.
	closed, err := tr.Store.Records(ctx, Filter{Flag: FlagChannel})
	if err != nil {
		return nil, 0, err
	}
	have, rated := map[string]bool{}, map[string]bool{}
	for _, d := range defaults {
		have[d.ID] = true
	}
	for _, c := range closed {
		rated[c.ID] = true
	}
	var out []Unrated
	var add []Row
	for _, u := range unrated {
		served, err := Served(&u.Record)
		if err != nil {
			return nil, 0, err
		}
		dl := tr.Cal.Deadlines(served)
		st := Unrated{ID: u.ID, DeviceID: u.DeviceID, SessionID: u.SessionID, Hall: u.Hall, Window: u.Window,
			Staff: u.Staff.Name, Served: served.Format(time.RFC3339), Deadlines: dl, Status: "waiting"}
		switch {
		case rated[ClosingID(u.ID)]:
			st.Status = StatusRated
		case have[DefaultID(u.ID)]:
			st.Status = "defaulted"
		case len(tr.Cal.Missing(served, dl.Default)) > 0:
			st.Status = StatusCalendarMissing
		case !now.Before(dl.Default):
			d := DefaultRecord(u.Record)
			body, err := json.Marshal(d)
			if err != nil {
				return nil, 0, err
			}
			add = append(add, NewRow(d, body, now))
			st.Status = "defaulted"
		case !now.Before(dl.Reminder):
			st.Status = "remind"
		}
		out = append(out, st)
	}
	n := 0
	if len(add) > 0 {
		res, err := tr.Store.Insert(ctx, add, nil)
		if err != nil {
			return nil, 0, err
		}
		n = res.New
		if tr.Logger != nil && n > 0 {
			tr.Logger.Info("evalhub: default 4★ given to sessions not rated in time", "records", n)
		}
	}
	return out, n, nil
}

// Run checks every interval until ctx ends (the hub runs it hourly).
func (tr *TimeRule) Run(ctx context.Context, interval time.Duration, now func() time.Time) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, _, err := tr.Check(ctx, Filter{}, now()); err != nil && tr.Logger != nil && ctx.Err() == nil {
			tr.Logger.Error("evalhub: time rule", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
