package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The complaint routes (served when the Store is a ComplaintStore):
//
//	GET  /api/v1/complaints?hall=&window=&staff_id=&state=&open=1&overdue=1&limit=&after=
//	     → {"complaints":[Complaint…], "next":"<id>"|""}: in the order opened;
//	     overdue=1: the open cases past a deadline, the 约谈 list
//	GET  /api/v1/complaints/{id} → Complaint with "log": every step
//	POST /api/v1/complaints/{id}/{verify|rectify|callback|appeal|review}
//	     {"by","note", verify: "unit","person"; review: "upheld", "mark": 误评|恶意}
//	     → 200 Complaint; 409 naming the state when the step does not apply
//	GET  /api/v1/alerts?after= → alert.go
func (a *API) registerComplaints(mux *http.ServeMux, sup func(http.HandlerFunc) http.HandlerFunc) {
	cs, ok := a.Store.(ComplaintStore)
	if !ok {
		return
	}
	auth := a.Auth
	if auth == nil {
		auth = &Auth{}
	}
	// Every role, each to its part (complaintAccess).
	mux.HandleFunc("GET /api/v1/complaints", auth.Scoped(a.complaints(cs)))
	mux.HandleFunc("GET /api/v1/complaints/{id}", auth.Scoped(a.complaint(cs)))
	mux.HandleFunc("POST /api/v1/complaints/{id}/{action}", auth.Scoped(a.complaintAct(cs)))
	if a.Complaints == nil { // the monthly report's 差评处置
		a.Complaints = complaintSummary{cs: cs, rules: a.complaintRules, now: a.now}
	}
	if as, ok := a.Store.(AlertStore); ok {
		mux.HandleFunc("GET /api/v1/alerts", sup(serveAlerts(as)))
	}
}

// complaintAccess decides whether the request may read (action "") or
// take action on case c, by the token's scope (scope.go): a supervisor
// reads every case; an operator reads and acts on every case; a hall
// manager reads its hall's cases and verifies, rectifies and calls back
// there; a department likewise for its windows; a staff member reads the
// cases against them and appeals them. The review of an appeal (复核) is an
// operator's: never the hall's, the department's or the staff member's own.
func (a *API) complaintAccess(r *http.Request, c Complaint, action string) bool {
	sc := ScopeOf(r)
	if !sc.Allows(c.Hall, c.Window, c.StaffID) {
		return false
	}
	switch {
	case action == "":
		return true
	case sc.Role == RoleOperator:
		return true
	case sc.Role == RoleHall || sc.Role == RoleDepartment:
		return action == "verify" || action == "rectify" || action == "callback"
	case sc.Role == RoleStaff:
		return action == "appeal"
	}
	return false
}

func (a *API) complaintRules() ComplaintRules {
	if a.Rule != nil {
		return ComplaintRules{Cal: a.Rule.Cal}
	}
	return ComplaintRules{}
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *API) complaints(cs ComplaintStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := r.URL.Query()
		q := ComplaintQuery{Hall: v.Get("hall"), Window: v.Get("window"), StaffID: v.Get("staff_id"), State: v.Get("state"),
			Open: v.Get("open") == "1", Overdue: v.Get("overdue") == "1", After: v.Get("after"), Limit: DefaultLimit}
		if l := v.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 || n > MaxLimit {
				writeError(w, http.StatusBadRequest, fmt.Errorf("limit: %q is not 1..%d", l, MaxLimit))
				return
			}
			q.Limit = n
		}
		// A scoped token lists its part: its hall, its staff id (a
		// department's windows are filtered case by case below).
		switch sc := ScopeOf(r); sc.Role {
		case RoleHall:
			if q.Hall != "" && q.Hall != sc.Hall {
				writeError(w, http.StatusForbidden, fmt.Errorf("%w: this token sees the hall %s only", ErrOutOfScope, sc.Hall))
				return
			}
			q.Hall = sc.Hall
		case RoleStaff:
			if q.StaffID != "" && q.StaffID != sc.StaffID {
				writeError(w, http.StatusForbidden, fmt.Errorf("%w: this token sees the staff member %s only", ErrOutOfScope, sc.StaffID))
				return
			}
			q.StaffID = sc.StaffID
		}
		want := q.Limit
		rules, now := a.complaintRules(), a.now()
		out := []Complaint{}
		next := ""
		// Overdue and access are decided here: read pages until the page is full.
		for len(out) < want {
			page, err := cs.Complaints(r.Context(), q)
			if err != nil {
				a.fail(w, err)
				return
			}
			for _, c := range page {
				next = c.ID
				rules.Deadlines(&c, now)
				if (!q.Overdue || len(c.Overdue) > 0) && a.complaintAccess(r, c, "") {
					out = append(out, c)
					if len(out) == want {
						break
					}
				}
			}
			if len(page) < q.Limit {
				if len(out) < want {
					next = ""
				}
				break
			}
			q.After = next
		}
		writeJSON(w, http.StatusOK, map[string]any{"complaints": out, "next": next})
	}
}

// caseFor reads the case the path names and checks that the request's
// token may do action on it ("" = see it). When not, it has answered
// (404, 403 with denied, or 500) and ok is false.
func (a *API) caseFor(w http.ResponseWriter, r *http.Request, cs ComplaintStore, action string, denied error) (c Complaint, ok bool) {
	c, err := cs.Complaint(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, ErrNoComplaint):
		writeError(w, http.StatusNotFound, err)
	case err != nil:
		a.fail(w, err)
	case !a.complaintAccess(r, c, action):
		writeError(w, http.StatusForbidden, denied)
	default:
		return c, true
	}
	return Complaint{}, false
}

func (a *API) complaint(cs ComplaintStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := a.caseFor(w, r, cs, "", errors.New("this case is not yours to see"))
		if !ok {
			return
		}
		a.complaintRules().Deadlines(&c, a.now())
		writeJSON(w, http.StatusOK, c)
	}
}

func (a *API) complaintAct(cs ComplaintStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("action")
		if !slices.Contains(Actions, name) {
			writeError(w, http.StatusNotFound, fmt.Errorf("action %q is not one of %s", name, strings.Join(Actions, ", ")))
			return
		}
		c, ok := a.caseFor(w, r, cs, name, fmt.Errorf("this token (%s) may not %s this case", ScopeOf(r).Role, name))
		if !ok {
			return
		}
		var act Action
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err == nil {
			d := json.NewDecoder(strings.NewReader(string(body)))
			d.DisallowUnknownFields()
			err = d.Decode(&act)
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("body: %w", err))
			return
		}
		act.Name = name
		now := a.now()
		c, err = cs.ActOn(r.Context(), c.ID, act, now, a.complaintRules())
		switch {
		case errors.Is(err, ErrBadAction):
			writeError(w, http.StatusBadRequest, err)
		case errors.Is(err, ErrConflict):
			writeError(w, http.StatusConflict, err)
		case errors.Is(err, ErrNoComplaint):
			writeError(w, http.StatusNotFound, err)
		case err != nil:
			a.fail(w, err)
		default:
			a.complaintRules().Deadlines(&c, now)
			writeJSON(w, http.StatusOK, c)
		}
	}
}

// complaintSummary is the monthly report's 差评处置 (ComplaintSource) from
// the complaint cases: those of the hall whose 差评 fell in the month, by
// state, overdue at now, appeals upheld.
type complaintSummary struct {
	cs    ComplaintStore
	rules func() ComplaintRules
	now   func() time.Time
}

func (s complaintSummary) ComplaintSummary(ctx context.Context, hall, month string) (ComplaintCounts, error) {
	var n ComplaintCounts
	rules, now := s.rules(), s.now()
	q := ComplaintQuery{Hall: hall, Limit: MaxLimit}
	for {
		page, err := s.cs.Complaints(ctx, q)
		if err != nil {
			return n, err
		}
		for _, c := range page {
			if !strings.HasPrefix(c.Day, month+"-") {
				continue
			}
			rules.Deadlines(&c, now)
			n.Opened++
			switch c.State {
			case StateVerify:
				n.Verifying++
			case StateRectify:
				n.Rectifying++
			case StateCallback:
				n.Rectified++
			case StateClosed:
				n.Closed++
			case StateUpheld:
				n.Upheld++
			}
			if len(c.Overdue) > 0 {
				n.Overdue++
			}
		}
		if len(page) < q.Limit {
			return n, nil
		}
		q.After = page[len(page)-1].ID
	}
}
