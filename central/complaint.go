package central

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"evalpad/rating"
)

// 差评处置: every stored 差评 (a rating of 1 or 2 stars, any channel: the
// pad, a scanned receipt, SMS, 综合点评, the phone 回访) opens a complaint
// case in the transaction that stores it (sqlcomplaint.go). The case is
// assigned to the record's hall (unit) and staff member (person), both
// reassignable when verifying, and walks
//
//	待核实 --verify--> 整改中 --rectify--> 已整改 --callback--> 已回访 (closed)
//
// The staff member may appeal (申诉) within 3 working days of the 差评's
// day while the case is open; the appeal is decided (复核) within 3
// working days of the appeal. An upheld appeal marks the rating 误评 or 恶意
// and closes the case (申诉成立): the record is kept and shown, and its
// contribution leaves the figures in the transaction recording the
// decision. The 回访 is due within 5 working days of the 整改.
//
// Deadlines are working days of the central's Calendar, computed when a
// case is read (a later override file moves them). A day of a year the
// calendar does not know gives no deadline: the case says calendar_missing.
// Every change is a row in the append-only complaint_log.
//
// Evaluators are never named: records hold no evaluator identity and
// cases copy none.

// Complaint states.
const (
	StateVerify   = "待核实"
	StateRectify  = "整改中"
	StateCallback = "已整改"
	StateClosed   = "已回访"
	StateUpheld   = "申诉成立" // closed by an upheld appeal
)

// Appeal states.
const (
	AppealPending  = "申诉中"
	AppealUpheld   = "成立"
	AppealRejected = "驳回"
)

// Marks an upheld appeal gives the rating.
const (
	MarkMistaken  = "误评"
	MarkMalicious = "恶意"
)

// Deadlines in working days (the central's rules).
const (
	AppealWorkdays   = 3 // 申诉 after the 差评's day
	ReviewWorkdays   = 3 // 复核 after the 申诉
	CallbackWorkdays = 5 // 回访 after the 整改
)

// Complaint is one case. Times are RFC 3339 ("" when not yet).
type Complaint struct {
	ID        string   `json:"id"` // the record's id: one case per 差评
	RecordID  string   `json:"record_id"`
	Stars     int      `json:"stars"`
	Channel   string   `json:"channel"` // "pad", or the via: of a central-made rating (scan, sms, 12345…)
	Reasons   []string `json:"reasons"`
	Hall      string   `json:"hall"`
	Window    string   `json:"window"`
	StaffID   string   `json:"staff_id"`
	StaffName string   `json:"staff_name"`
	Day       string   `json:"day"` // the 差评's day, the pad's date
	At        string   `json:"at"`
	Opened    string   `json:"opened"`
	State     string   `json:"state"`
	Unit      string   `json:"unit"`   // responsible unit (default: the hall)
	Person    string   `json:"person"` // responsible person (default: the staff id)
	Appeal    string   `json:"appeal"` // "", 申诉中, 成立, 驳回
	Mark      string   `json:"mark"`   // "", 误评, 恶意: the rating is excluded from the figures
	Rectified string   `json:"rectified,omitempty"`
	Appealed  string   `json:"appealed,omitempty"`
	Closed    string   `json:"closed,omitempty"`

	// Computed when read (Deadlines).
	AppealDue       string   `json:"appeal_due,omitempty"`   // last day to appeal
	ReviewDue       string   `json:"review_due,omitempty"`   // last day to decide the appeal
	CallbackDue     string   `json:"callback_due,omitempty"` // last day for the 回访
	Overdue         []string `json:"overdue,omitempty"`      // 复核超期, 回访超期: listed for 约谈
	CalendarMissing bool     `json:"calendar_missing,omitempty"`

	Log []ComplaintStep `json:"log,omitempty"` // GET /api/v1/complaints/{id}

	atMS, openedMS, rectifiedMS, appealedMS int64
}

// ComplaintStep is one row of the audit log.
type ComplaintStep struct {
	N      int    `json:"n"`
	At     string `json:"at"`
	Action string `json:"action"` // open, verify, rectify, callback, appeal, review
	By     string `json:"by"`
	From   string `json:"from"`
	To     string `json:"to"`
	Note   string `json:"note"`
}

// Action is a POST /api/v1/complaints/{id}/{action} body.
type Action struct {
	Name   string `json:"-"` // verify, rectify, callback, appeal, review
	By     string `json:"by"`
	Note   string `json:"note"`
	Unit   string `json:"unit,omitempty"`   // verify: reassign
	Person string `json:"person,omitempty"` // verify: reassign
	Upheld *bool  `json:"upheld,omitempty"` // review: required
	Mark   string `json:"mark,omitempty"`   // review upheld: 误评 or 恶意
}

// Actions are the action names, in the route.
var Actions = []string{"verify", "rectify", "callback", "appeal", "review"}

// ErrConflict: the action does not apply to the case's state (409).
var ErrConflict = errors.New("conflict")

// ErrNoComplaint: no case has that id.
var ErrNoComplaint = errors.New("no such complaint")

// ComplaintQuery filters GET /api/v1/complaints.
type ComplaintQuery struct {
	Hall, Window, StaffID, State string
	Open                         bool   // not closed
	Overdue                      bool   // with an overdue deadline (computed; implies Open)
	After                        string // paging: the last id of the previous page (opened order)
	Limit                        int
}

// ComplaintStore is what the store offers for complaints (sqlcomplaint.go).
type ComplaintStore interface {
	Complaints(ctx context.Context, q ComplaintQuery) ([]Complaint, error)
	Complaint(ctx context.Context, id string) (Complaint, error)
	ActOn(ctx context.Context, id string, a Action, now time.Time, rules ComplaintRules) (Complaint, error)
}

// ComplaintRules are the deadlines' calendar and zone.
type ComplaintRules struct {
	Cal  *Calendar
	Zone *time.Location // the zone a step's date is taken in; nil: China Standard Time
}

func (r ComplaintRules) zone() *time.Location {
	if r.Zone != nil {
		return r.Zone
	}
	return time.FixedZone("CST", 8*3600)
}

func (r ComplaintRules) cal() *Calendar {
	if r.Cal != nil {
		return r.Cal
	}
	return &Calendar{}
}

// due is the nth working day after day (YYYY-MM-DD), or "" and false when
// the calendar does not know a year it spans.
func (r ComplaintRules) due(day string, n int) (string, bool) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return "", false
	}
	end := r.cal().AddWorkdays(d, n)
	if len(r.cal().Missing(d, end)) > 0 {
		return "", false
	}
	return end.Format(time.DateOnly), true
}

// dayOf is the date of ms in the rules' zone.
func (r ComplaintRules) dayOf(ms int64) string {
	return time.UnixMilli(ms).In(r.zone()).Format(time.DateOnly)
}

// Deadlines fills c's due days and overdue flags at now.
func (r ComplaintRules) Deadlines(c *Complaint, now time.Time) {
	today := now.In(r.zone()).Format(time.DateOnly)
	c.AppealDue, c.ReviewDue, c.CallbackDue, c.Overdue, c.CalendarMissing = "", "", "", nil, false
	set := func(dst *string, day string, n int) {
		if d, ok := r.due(day, n); ok {
			*dst = d
		} else {
			c.CalendarMissing = true
		}
	}
	set(&c.AppealDue, c.Day, AppealWorkdays)
	if c.appealedMS != 0 {
		set(&c.ReviewDue, r.dayOf(c.appealedMS), ReviewWorkdays)
	}
	if c.rectifiedMS != 0 {
		set(&c.CallbackDue, r.dayOf(c.rectifiedMS), CallbackWorkdays)
	}
	if c.Appeal == AppealPending && c.ReviewDue != "" && today > c.ReviewDue {
		c.Overdue = append(c.Overdue, "复核超期")
	}
	if c.State == StateCallback && c.CallbackDue != "" && today > c.CallbackDue {
		c.Overdue = append(c.Overdue, "回访超期")
	}
}

// closedState reports whether a case in state s is closed.
func closedState(s string) bool { return s == StateClosed || s == StateUpheld }

// next is the case after action a at now, or ErrConflict naming the state.
// It checks a's fields (ErrBadAction).
func (r ComplaintRules) next(c Complaint, a Action, now time.Time) (Complaint, error) {
	if strings.TrimSpace(a.By) == "" {
		return c, fmt.Errorf("%w: by: who acts is needed", ErrBadAction)
	}
	conflict := func(want string) (Complaint, error) {
		return c, fmt.Errorf("%w: %s needs %s; the case is %s (appeal %q)", ErrConflict, a.Name, want, c.State, c.Appeal)
	}
	ms := now.UnixMilli()
	switch a.Name {
	case "verify":
		if c.State != StateVerify {
			return conflict(StateVerify)
		}
		c.State = StateRectify
		if a.Unit != "" {
			c.Unit = a.Unit
		}
		if a.Person != "" {
			c.Person = a.Person
		}
	case "rectify":
		if c.State != StateRectify {
			return conflict(StateRectify)
		}
		c.State, c.rectifiedMS = StateCallback, ms
	case "callback":
		if c.State != StateCallback {
			return conflict(StateCallback)
		}
		c.State = StateClosed
	case "appeal":
		if closedState(c.State) || c.Appeal != "" {
			return conflict("an open case not appealed before")
		}
		due, ok := r.due(c.Day, AppealWorkdays)
		if !ok {
			return c, fmt.Errorf("%w: calendar_missing: the calendar does not know the year of %s; give the arrangement in the holidays override file", ErrConflict, c.Day)
		}
		if today := now.In(r.zone()).Format(time.DateOnly); today > due {
			return c, fmt.Errorf("%w: the appeal window closed on %s (3 working days after the 差评 of %s); the case is %s", ErrConflict, due, c.Day, c.State)
		}
		c.Appeal, c.appealedMS = AppealPending, ms
	case "review":
		if c.Appeal != AppealPending {
			return conflict("a pending appeal")
		}
		if a.Upheld == nil {
			return c, fmt.Errorf("%w: upheld: true or false is needed", ErrBadAction)
		}
		if !*a.Upheld {
			c.Appeal = AppealRejected
			break
		}
		if a.Mark != MarkMistaken && a.Mark != MarkMalicious {
			return c, fmt.Errorf("%w: mark: %q is not %s or %s", ErrBadAction, a.Mark, MarkMistaken, MarkMalicious)
		}
		c.Appeal, c.Mark, c.State = AppealUpheld, a.Mark, StateUpheld
	default:
		return c, fmt.Errorf("%w: %q is not one of %s", ErrBadAction, a.Name, strings.Join(Actions, ", "))
	}
	return c, nil
}

// ErrBadAction: the action's body is malformed (400).
var ErrBadAction = errors.New("bad action")

// isBad reports whether r is a 差评 that opens a case: a rating (not an
// unrated record, not the default 4★) of 1 or 2 stars.
func isBad(r *rating.Record) bool {
	return r.Kind == rating.KindRating && r.Stars >= 1 && r.Stars <= 2 && !slices.Contains(r.Flags, FlagDefault)
}
