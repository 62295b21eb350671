package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"evalpad/pad"
	"evalpad/pad/localapi"
	"evalpad/store"
)

// History keeps the screens the pad showed (GET /sim/screens).
type History struct {
	mu    sync.Mutex
	shown []Shown
}

// Shown is one screen change.
type Shown struct {
	Screen pad.Screen `json:"screen"`
	View   pad.View   `json:"view"`
}

const keepScreens = 200

// Show records v.
func (s *History) Show(v pad.View) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shown = append(s.shown, Shown{Screen: v.Screen, View: v})
	if len(s.shown) > keepScreens {
		s.shown = append(s.shown[:0], s.shown[len(s.shown)-keepScreens:]...)
	}
}

// Shown returns the screens shown, oldest first.
func (s *History) Shown() []Shown {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Shown(nil), s.shown...)
}

// Records lists the store's records (package store implements it).
type Records interface {
	Records(fn func(e store.Entry) error) error
}

// Hardware is the simulated hardware of one pad.
type Hardware struct {
	Pad     *pad.Pad
	Store   Records
	History *History
}

// Register adds the /sim routes to mux.
func (h *Hardware) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /sim/press/{n}", h.press)
	mux.HandleFunc("POST /sim/reasons", h.reasons)
	mux.HandleFunc("POST /sim/reason/{code}", h.toggle)
	mux.HandleFunc("POST /sim/target", h.target)
	mux.HandleFunc("GET /sim/records", h.records)
	mux.HandleFunc("GET /sim/screens", h.screens)
}

func (h *Hardware) press(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 5 {
		localapi.Error(w, http.StatusNotFound, "there are five star buttons: /sim/press/1 to /sim/press/5")
		return
	}
	out, err := h.Pad.Press(n)
	if err != nil {
		localapi.Error(w, localapi.Status(err), err.Error())
		return
	}
	localapi.JSON(w, http.StatusOK, out)
}

func (h *Hardware) reasons(w http.ResponseWriter, r *http.Request) {
	body, err := localapi.ReadBody(w, r, 64<<10)
	if err != nil {
		localapi.Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	var req struct {
		Codes []string `json:"codes"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		localapi.Error(w, http.StatusBadRequest, "body must be {\"codes\":[\"213\",…]}: "+err.Error())
		return
	}
	if req.Codes == nil {
		req.Codes = []string{}
	}
	out, err := h.Pad.SubmitReasons(req.Codes)
	if err != nil {
		localapi.Error(w, localapi.Status(err), err.Error())
		return
	}
	localapi.JSON(w, http.StatusOK, out)
}

func (h *Hardware) toggle(w http.ResponseWriter, r *http.Request) {
	out, err := h.Pad.ToggleReason(r.PathValue("code"))
	if err != nil {
		localapi.Error(w, localapi.Status(err), err.Error())
		return
	}
	localapi.JSON(w, http.StatusOK, out)
}

func (h *Hardware) target(w http.ResponseWriter, r *http.Request) {
	body, err := localapi.ReadBody(w, r, 4<<10)
	if err != nil {
		localapi.Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	var req struct {
		ProjectNo *string `json:"project_no"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.ProjectNo == nil {
		localapi.Error(w, http.StatusBadRequest, "body must be {\"project_no\":\"…\"} (\"\" rates the whole theme)")
		return
	}
	out, err := h.Pad.SelectTarget(*req.ProjectNo)
	if err != nil {
		localapi.Error(w, localapi.Status(err), err.Error())
		return
	}
	localapi.JSON(w, http.StatusOK, out)
}

// StoredRecord is one record as GET /sim/records lists it.
type StoredRecord struct {
	Record  json.RawMessage `json:"record"`
	Acked   bool            `json:"acked"`
	AckedAt string          `json:"acked_at,omitempty"`
}

func (h *Hardware) records(w http.ResponseWriter, r *http.Request) {
	out := []StoredRecord{}
	err := h.Store.Records(func(e store.Entry) error {
		sr := StoredRecord{Record: append(json.RawMessage(nil), e.JSON...)}
		if !e.AckedAt.IsZero() {
			sr.Acked, sr.AckedAt = true, e.AckedAt.Format(time.RFC3339Nano)
		}
		out = append(out, sr)
		return nil
	})
	if err != nil {
		localapi.Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	localapi.JSON(w, http.StatusOK, map[string]any{"records": out})
}

func (h *Hardware) screens(w http.ResponseWriter, r *http.Request) {
	localapi.JSON(w, http.StatusOK, map[string]any{"screens": h.History.Shown()})
}
