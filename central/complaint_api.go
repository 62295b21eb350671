package central

import (
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
	mux.HandleFunc("GET /api/v1/complaints", sup(a.complaints(cs)))
	mux.HandleFunc("GET /api/v1/complaints/{id}", sup(a.complaint(cs)))
	mux.HandleFunc("POST /api/v1/complaints/{id}/{action}", sup(a.complaintAct(cs)))
	if as, ok := a.Store.(AlertStore); ok {
		mux.HandleFunc("GET /api/v1/alerts", sup(serveAlerts(as)))
	}
}

// complaintAccess decides whether the request may read (write false) or
// act on (write true) case c. Today: any token reads (the routes need a
// supervisor's), an operator's acts.
func (a *API) complaintAccess(r *http.Request, c Complaint, write bool) bool {
	if !write {
		return true
	}
	if a.Auth == nil || a.Auth.Tokens == nil {
		return false
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	role, err := a.Auth.Tokens.TokenRole(r.Context(), TokenHash(tok))
	return err == nil && allows(role, RoleOperator)
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
				if (!q.Overdue || len(c.Overdue) > 0) && a.complaintAccess(r, c, false) {
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

func (a *API) complaint(cs ComplaintStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := cs.Complaint(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, ErrNoComplaint):
			writeError(w, http.StatusNotFound, err)
			return
		case err != nil:
			a.fail(w, err)
			return
		case !a.complaintAccess(r, c, false):
			writeError(w, http.StatusForbidden, errors.New("this case is not yours to see"))
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
		c, err := cs.Complaint(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, ErrNoComplaint):
			writeError(w, http.StatusNotFound, err)
			return
		case err != nil:
			a.fail(w, err)
			return
		case !a.complaintAccess(r, c, true):
			writeError(w, http.StatusForbidden, errors.New("an operator token is needed to act on a case"))
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
