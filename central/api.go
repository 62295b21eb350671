package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"evalpad/sync/protocol"
)

// API is the hub's API. Every route but health needs a bearer token
// (Auth; see auth.go for the roles), supervisor unless said:
//
//	GET /api/v1/records, /stats, /unrated, /ranking and /report: any role, narrowed to the token's
//	    Scope (scope.go; a filter outside it → 403 naming why); GET /api/v1/whoami → the token's Scope
//	GET /api/v1/records?device_id=&hall=&window=&staff_id=&kind=&stars=&good=&item=&from=&to=&limit=&after=&order=
//	    → {"records":[record…], "next":"<id to pass as after>"|""}; in the order the central stored
//	    them (arrival: a record a pad sends late comes after those before it, whatever its "at"),
//	    so a reader that pages with after=next sees every record once; order=newest: latest "at" first
//	GET /api/v1/stats?(the same filters but limit and after) → Stats, by SQL over the rollups
//	GET /api/v1/unrated?(filters)&status=pending|all&limit=&after= → {"unrated":[Unrated…], "next":"<id>"|""}:
//	    unrated sessions oldest served first with reminder and default days and status;
//	    pending (default): not yet given the default 4★; all: the defaulted ones too.
//	    limit 1..1000, default 100; applies the time rule first
//	GET /api/v1/rejected → {"rejected":[{"id","device_id","reason","received_at","record"}…]}
//	GET /api/v1/devices → {"devices":[{"device_id","status":{…},"received_at"}…]}: each pad's last up/status
//	GET /api/v1/registry → {"devices":[Registered…]}: the enrolled pads (no secrets)
//	GET /api/v1/devices/{id}/seq → SeqReport: seq missing and repeated, records dated before
//	    the pad's key or in the future (seqcheck.go)
//	GET /api/v1/devices/{id}/downlinks → {"downlinks":[Downlink…]}: the last 100 messages sent, with the pad's answers
//	POST /api/v1/devices/{id}/cmd?ttl= (operator) {"cmd":…} → 202 Downlink: signed, sent on down/cmd
//	POST /api/v1/devices/{id}/session?ttl= (operator) a session → 202 Downlink: sent on down/session
//	PUT /api/v1/devices/{id}/config?ttl= (operator) a protocol.Config → 202 Downlink: stored, sent retained on down/config
//	GET /api/v1/firmware, POST|GET /api/v1/rollouts, GET /api/v1/rollouts/{id},
//	POST /api/v1/rollouts/{id}/halt: rollout_api.go
//	POST /api/v1/channels/ratings (operator): 综合点评 and phone results, composite.go
//	GET /api/v1/channels/phone/sample?quarter=&size=&seed= → CSV call list, phone.go
//	GET /api/v1/export?from=&to=&format=jsonl|csv → the rated cases in the platform's fields, export.go
//	GET /api/v1/channels/sms/due, POST /api/v1/channels/sms (operator): 短信评价, sms.go
//	GET /api/v1/suspicious?from=&to=&hall=&(thresholds) → the 可疑 list, suspicious.go
//	GET /api/v1/health → the hub's counters and "calendar": CalendarHealth (public)
type API struct {
	Auth     *Auth // nil: every route but health answers 401
	Store    Store
	Registry interface {
		Devices(ctx context.Context) ([]Registered, error)
		Downlinks(ctx context.Context, device string, limit int) ([]Downlink, error)
	} // nil: registry routes not served
	Downlinks *Downlinks  // nil: send routes not served
	Rollouts  *Rollouts   // nil: firmware and rollout routes not served (rollout_api.go)
	Rule      *TimeRule   // for GET /api/v1/unrated; nil: not served
	Composite *Composite  // POST /api/v1/channels/ratings (operator, 综合点评); nil: not served
	SMS       *SMS        // the SMS gateway's routes (operator, sms.go); nil: not served
	Export    *ExportMap  // GET /api/v1/export (export.go); nil: not served
	Suspects  *Thresholds // GET /api/v1/suspicious (suspicious.go); nil: DefaultThresholds
	// Complaints gives the monthly report its 差评处置 counts (report.go);
	// nil: the report says they are not available.
	Complaints ComplaintSource
	Now        func() time.Time // default time.Now
	Health     func() any       // the hub's counters; nil for none
	Devices    func() any       // the pads' last status; nil for none
	Logger     *slog.Logger
}

// Limits of GET /api/v1/records.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	auth := a.Auth
	if auth == nil {
		auth = &Auth{}
	}
	sup := func(h http.HandlerFunc) http.HandlerFunc { return auth.Require(RoleSupervisor, h) }
	op := func(h http.HandlerFunc) http.HandlerFunc { return auth.Require(RoleOperator, h) }
	mux.HandleFunc("GET /api/v1/records", auth.Scoped(a.records))
	mux.HandleFunc("GET /api/v1/stats", auth.Scoped(a.stats))
	mux.HandleFunc("GET /api/v1/whoami", auth.Scoped(whoami))
	mux.HandleFunc("GET /api/v1/ranking", auth.Scoped(a.serveRanking))
	mux.HandleFunc("GET /report/{hall}/{month}", auth.Scoped(a.serveReport))
	if a.Rule != nil {
		mux.HandleFunc("GET /api/v1/unrated", auth.Scoped(a.unrated))
	}
	mux.HandleFunc("GET /api/v1/rejected", sup(a.rejected))
	if sr, ok := a.Store.(seqReporter); ok {
		mux.HandleFunc("GET /api/v1/devices/{id}/seq", sup(a.seq(sr)))
	}
	if a.Registry != nil {
		mux.HandleFunc("GET /api/v1/registry", sup(a.registry))
		mux.HandleFunc("GET /api/v1/devices/{id}/downlinks", sup(a.downlinks))
	}
	if a.Downlinks != nil {
		mux.HandleFunc("POST /api/v1/devices/{id}/cmd", op(a.send(KindCmd)))
		mux.HandleFunc("POST /api/v1/devices/{id}/session", op(a.send(KindSession)))
		mux.HandleFunc("PUT /api/v1/devices/{id}/config", op(a.send(KindConfig)))
	}
	if a.Rollouts != nil {
		a.registerRollouts(sup, op, mux)
	}
	if a.Composite != nil {
		mux.HandleFunc("POST "+CompositePath, op(a.Composite.serve))
		mux.HandleFunc("GET /api/v1/channels/phone/sample", sup(servePhoneSample(a.Store)))
	}
	if a.SMS != nil {
		a.SMS.register(op, mux)
	}
	if a.Export != nil {
		mux.HandleFunc("GET /api/v1/export", sup(serveExport(a.Store, *a.Export)))
	}
	a.registerSuspicious(sup, mux)
	a.registerComplaints(mux, sup) // complaint_api.go
	mux.HandleFunc("GET /api/v1/devices", sup(func(w http.ResponseWriter, r *http.Request) {
		var d any = []struct{}{}
		if a.Devices != nil {
			d = a.Devices()
		}
		writeJSON(w, http.StatusOK, map[string]any{"devices": d})
	}))
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) {
		var h any = struct{}{}
		if a.Health != nil {
			h = a.Health()
		}
		if a.Rule != nil {
			h = withCalendar(h, a.Rule.Cal, a.Now)
		}
		writeJSON(w, http.StatusOK, h)
	})
}

// ParseFilter reads a Filter from query parameters; errors name the parameter.
func ParseFilter(q url.Values, paging bool) (Filter, error) {
	f := Filter{DeviceID: q.Get("device_id"), Hall: q.Get("hall"), Window: q.Get("window"),
		StaffID: q.Get("staff_id"), Kind: q.Get("kind"), Item: q.Get("item"), From: q.Get("from"), To: q.Get("to")}
	bad := func(format string, args ...any) (Filter, error) {
		return Filter{}, fmt.Errorf("%w: "+format, append([]any{ErrBadFilter}, args...)...)
	}
	switch f.Kind {
	case "", "rating", "unrated":
	default:
		return bad("kind: %q is not rating or unrated", f.Kind)
	}
	if v := q.Get("stars"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 5 {
			return bad("stars: %q is not 0 to 5", v)
		}
		f.Stars = n
	}
	if v := q.Get("good"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad("good: %q is not true or false", v)
		}
		f.Good = &b
	}
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v != "" {
			if _, err := time.Parse(time.DateOnly, d.v); err != nil {
				return bad("%s: %q is not a day YYYY-MM-DD", d.name, d.v)
			}
		}
	}
	if !paging {
		return f, nil
	}
	f.Limit = DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return bad("limit: %q is not 1 to %d", v, MaxLimit)
		}
		f.Limit = n
	}
	switch v := q.Get("order"); v {
	case "", "oldest":
	case "newest":
		f.Newest = true
	default:
		return bad("order: %q is not oldest or newest", v)
	}
	if v := q.Get("after"); v != "" {
		if !protocol.IsUUID(v) {
			return bad("after: %q is not a record id", v)
		}
		if f.Newest {
			return bad("after: pages go oldest first; drop order=newest")
		}
		f.After = v
	}
	return f, nil
}

func (a *API) records(w http.ResponseWriter, r *http.Request) {
	f, ok := scopedFilter(w, r, true)
	if !ok {
		return
	}
	rows, err := a.Store.Records(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := struct {
		Records []json.RawMessage `json:"records"`
		Next    string            `json:"next"`
	}{Records: make([]json.RawMessage, len(rows))}
	for i, row := range rows {
		out.Records[i] = row.Body
	}
	if len(rows) == f.Limit && !f.Newest {
		out.Next = rows[len(rows)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) stats(w http.ResponseWriter, r *http.Request) {
	f, ok := scopedFilter(w, r, false)
	if !ok {
		return
	}
	st, err := a.Store.Stats(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *API) unrated(w http.ResponseWriter, r *http.Request) {
	f, ok := scopedFilter(w, r, true)
	if !ok {
		return
	}
	all := false
	switch v := r.URL.Query().Get("status"); v {
	case "", "pending":
	case "all":
		all = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: status: %q is not pending or all", ErrBadFilter, v))
		return
	}
	f.Newest = false
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if _, err := a.Rule.Apply(r.Context(), now()); err != nil {
		a.fail(w, err)
		return
	}
	list, err := a.Rule.List(r.Context(), f, all, now())
	if err != nil {
		a.fail(w, err)
		return
	}
	out := struct {
		Unrated []Unrated `json:"unrated"`
		Next    string    `json:"next"`
	}{Unrated: list}
	if out.Unrated == nil {
		out.Unrated = []Unrated{}
	}
	if len(list) == f.Limit {
		out.Next = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) rejected(w http.ResponseWriter, r *http.Request) {
	list, err := a.Store.Rejected(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	type item struct {
		ID         string          `json:"id"`
		DeviceID   string          `json:"device_id"`
		Reason     string          `json:"reason"`
		ReceivedAt time.Time       `json:"received_at"`
		Record     json.RawMessage `json:"record"`
	}
	out := make([]item, len(list))
	for i, rj := range list {
		body := json.RawMessage(rj.Body)
		if !json.Valid(body) {
			b, _ := json.Marshal(string(rj.Body))
			body = b
		}
		out[i] = item{rj.ID, rj.DeviceID, rj.Reason, rj.ReceivedAt, body}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rejected": out})
}

func (a *API) registry(w http.ResponseWriter, r *http.Request) {
	list, err := a.Registry.Devices(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	if list == nil {
		list = []Registered{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": list})
}

func (a *API) downlinks(w http.ResponseWriter, r *http.Request) {
	list, err := a.Registry.Downlinks(r.Context(), r.PathValue("id"), 100)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"downlinks": list})
}

// send signs and sends the request's body to the pad as a message of kind.
func (a *API) send(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var ttl time.Duration
		if v := r.URL.Query().Get("ttl"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				writeError(w, http.StatusBadRequest, fmt.Errorf("ttl: %q is not a duration like 30m", v))
				return
			}
			ttl = d
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxPayload+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		if len(body) > protocol.MaxPayload {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("payload: more than %d bytes", protocol.MaxPayload))
			return
		}
		dl, err := a.Downlinks.Send(r.Context(), r.PathValue("id"), kind, body, ttl)
		switch {
		case errors.Is(err, ErrNoDevice):
			writeError(w, http.StatusNotFound, err)
		case errors.Is(err, ErrDownlink):
			writeError(w, http.StatusBadRequest, err)
		case err != nil:
			if a.Logger != nil {
				a.Logger.Error("evalhub: send", "kind", kind, "err", err)
			}
			writeError(w, http.StatusServiceUnavailable, fmt.Errorf("not sent: %v", err))
		default:
			writeJSON(w, http.StatusAccepted, dl)
		}
	}
}

func (a *API) fail(w http.ResponseWriter, err error) {
	if a.Logger != nil {
		a.Logger.Error("evalhub: api", "err", err)
	}
	writeError(w, http.StatusInternalServerError, errors.New("central: the store failed; see the log"))
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
