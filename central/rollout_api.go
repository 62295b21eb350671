package central

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// The rollout routes (API.Rollouts set):
//
//	GET  /api/v1/firmware                      (supervisor) {"firmware":[Firmware…]} newest first
//	POST /api/v1/rollouts                      (operator) RolloutSpec → 201 Rollout
//	GET  /api/v1/rollouts?state=               (supervisor) {"rollouts":[Rollout…]} the last 50, newest first
//	GET  /api/v1/rollouts/{id}                 (supervisor) Rollout
//	POST /api/v1/rollouts/{id}/halt            (operator) {"reason":…}? → 200 Rollout; 409 when not running
func (a *API) registerRollouts(sup, op func(http.HandlerFunc) http.HandlerFunc, mux *http.ServeMux) {
	rs := a.Rollouts
	mux.HandleFunc("GET /api/v1/firmware", sup(func(w http.ResponseWriter, r *http.Request) {
		list, err := rs.Store.Firmwares(r.Context(), r.URL.Query().Get("version"))
		if err != nil {
			a.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"firmware": list})
	}))
	mux.HandleFunc("POST /api/v1/rollouts", op(func(w http.ResponseWriter, r *http.Request) {
		var spec RolloutSpec
		if err := decodeBody(r, &spec); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		ro, err := rs.Create(r.Context(), spec)
		if err != nil {
			a.rolloutError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, ro)
	}))
	mux.HandleFunc("GET /api/v1/rollouts", sup(func(w http.ResponseWriter, r *http.Request) {
		state := r.URL.Query().Get("state")
		switch state {
		case "", RolloutRunning, RolloutHalted, RolloutDone:
		default:
			writeError(w, http.StatusBadRequest, fmt.Errorf("state: %q is not running, halted or done", state))
			return
		}
		list, err := rs.Store.Rollouts(r.Context(), state, 50)
		if err != nil {
			a.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"rollouts": list})
	}))
	mux.HandleFunc("GET /api/v1/rollouts/{id}", sup(func(w http.ResponseWriter, r *http.Request) {
		ro, err := rs.Store.Rollout(r.Context(), r.PathValue("id"))
		if err != nil {
			a.rolloutError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, ro)
	}))
	mux.HandleFunc("POST /api/v1/rollouts/{id}/halt", op(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Reason string `json:"reason"`
		}
		if r.ContentLength != 0 {
			if err := decodeBody(r, &body); err != nil {
				writeError(w, http.StatusBadRequest, err)
				return
			}
		}
		if len(body.Reason) > 200 {
			writeError(w, http.StatusBadRequest, errors.New("reason: at most 200 bytes"))
			return
		}
		reason := "halted by an operator"
		if body.Reason != "" {
			reason += ": " + body.Reason
		}
		ro, err := rs.Halt(r.Context(), r.PathValue("id"), reason)
		if err != nil {
			a.rolloutError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, ro)
	}))
}

// decodeBody reads a JSON body of at most 64 KiB with known fields only.
func decodeBody(r *http.Request, v any) error {
	d := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("body: %v", err)
	}
	return nil
}

func (a *API) rolloutError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNoRollout), errors.Is(err, ErrNoFirmware), errors.Is(err, ErrNoDevice):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, ErrRollout):
		writeError(w, http.StatusBadRequest, err)
	case errors.Is(err, ErrRolloutOver):
		writeError(w, http.StatusConflict, err)
	default:
		a.fail(w, err)
	}
}
