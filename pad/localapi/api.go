package localapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"evalpad/pad"
	"evalpad/rating"
	"evalpad/store"
)

// Pad is the pad as the local API drives it; the agent implements it.
//
// OpenSession opens a validated session (and shows its staff photo) exactly
// as a session from the central is opened. Pause and Resume show and leave
// 暂停服务. State is the body of GET /api/v1/state: the one account of the
// pad's condition, faults included, that the MQTT status reports too. All
// four are safe for concurrent use.
type Pad interface {
	OpenSession(s rating.Session) (pad.OpenResult, error)
	Pause() error
	Resume() error
	State() State
}

// API serves the local API of one pad.
type API struct {
	Pad Pad
	// Token, when not empty, is required as a bearer token.
	Token string
	// Receipts prints case receipts (POST /api/v1/receipts); nil: none.
	Receipts ReceiptPrinter
	// Repair is the store's damage report and quarantine (GET /api/v1/store,
	// POST /api/v1/store/clear-damage); nil: no such routes.
	Repair Repair
	Logger *slog.Logger
}

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/sessions", a.auth(a.openSession))
	mux.Handle("GET /api/v1/state", a.auth(a.state))
	mux.Handle("POST /api/v1/pause", a.auth(a.pause))
	mux.Handle("POST /api/v1/resume", a.auth(a.resume))
	mux.Handle("POST /api/v1/receipts", a.auth(a.printReceipt))
	if a.Repair != nil {
		mux.Handle("GET /api/v1/store", a.auth(a.storeReport))
		mux.Handle("POST /api/v1/store/clear-damage", a.auth(a.clearDamage))
	}
}

func (a *API) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

func (a *API) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="evalpad"`)
				Error(w, http.StatusUnauthorized, "missing or wrong bearer token")
				return
			}
		}
		h(w, r)
	})
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to do
}

// Error writes {"error": msg} with status.
func Error(w http.ResponseWriter, status int, msg string) {
	JSON(w, status, map[string]string{"error": msg})
}

// ReadBody reads at most max bytes of the request body.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("body larger than %d bytes", max)
		}
		return nil, fmt.Errorf("reading body: %v", err)
	}
	return body, nil
}

// Status maps the pad's errors to HTTP status codes.
func Status(err error) int {
	switch {
	case errors.Is(err, rating.ErrInvalidSession), errors.Is(err, rating.ErrUnknownReason),
		errors.Is(err, pad.ErrNoReason), errors.Is(err, pad.ErrUnknownTarget):
		return http.StatusUnprocessableEntity
	case errors.Is(err, pad.ErrSessionClosed), errors.Is(err, pad.ErrPaused),
		errors.Is(err, pad.ErrSessionOpen), errors.Is(err, pad.ErrNotNow):
		return http.StatusConflict
	case errors.Is(err, pad.ErrFault):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (a *API) openSession(w http.ResponseWriter, r *http.Request) {
	body, err := ReadBody(w, r, rating.MaxSessionBytes)
	if err != nil {
		Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	s, err := rating.ParseSession(body)
	if err != nil {
		a.log().Warn("session rejected", "remote", r.RemoteAddr, "err", err)
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := a.Pad.OpenSession(s)
	if err != nil {
		a.log().Warn("session refused", "session", s.ID, "err", err)
		Error(w, Status(err), err.Error())
		return
	}
	status := http.StatusCreated
	if res.Already {
		status = http.StatusOK
	}
	JSON(w, status, res)
}

// State is the body of GET /api/v1/state.
type State struct {
	pad.View
	Outbox  store.Stats `json:"outbox"`
	Version string      `json:"version"`
	Printer any         `json:"printer,omitempty"` // the receipt printer's status, when there is one
	// Faults lists what a technician should look at, each a line; the pad
	// may still take ratings (a printer out of paper, a salvaged store).
	Faults []string `json:"faults"`
}

func (a *API) state(w http.ResponseWriter, r *http.Request) {
	JSON(w, http.StatusOK, a.Pad.State())
}

func (a *API) pause(w http.ResponseWriter, r *http.Request) {
	if err := a.Pad.Pause(); err != nil {
		Error(w, Status(err), err.Error())
		return
	}
	JSON(w, http.StatusOK, map[string]any{"screen": a.Pad.State().Screen})
}

func (a *API) resume(w http.ResponseWriter, r *http.Request) {
	if err := a.Pad.Resume(); err != nil {
		Error(w, Status(err), err.Error())
		return
	}
	JSON(w, http.StatusOK, map[string]any{"screen": a.Pad.State().Screen})
}
