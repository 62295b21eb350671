package sim

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"sync"
	"time"

	"evalpad/agent/screen"
	"evalpad/pad"
	"evalpad/pad/localapi"
	"evalpad/store"
)

//go:embed web
var webFS embed.FS

// Info is what the simulator page needs to draw the pad (GET /sim/info).
type Info struct {
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	StarOrder  []int  `json:"star_order"`
	DeviceID   string `json:"device_id"`
	Hall       string `json:"hall"`
	Window     string `json:"window"`
	StaffID    string `json:"staff_id"`
	StaffName  string `json:"staff_name"`
	ReceiptJob int    `json:"receipt_job"`
}

// Paper is the printer's latest job as the page shows it (Printer
// implements it).
type Paper interface {
	Latest() (png, bin []byte, ok bool)
}

// Page serves the simulator page and what it needs: the live screen, touches,
// receipts and a stream of changes (SSE). Its assets are embedded.
type Page struct {
	Pad     *pad.Pad
	Screen  *screen.Screen // nil: no CJK font on the machine
	Printer Paper
	// State is the pad's whole state, faults included (the agent's).
	State func() localapi.State
	// Info describes the pad as the config in force does.
	Info func() Info

	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	lastJob int
	changes uint64
}

type subscriber struct {
	state   chan struct{}
	receipt chan int
	voice   chan string
}

// Register adds the page's routes to mux and starts following the screen
// (the pad, without a screen). The returned func stops following.
func (p *Page) Register(mux *http.ServeMux) (stop func()) {
	p.subs = map[*subscriber]struct{}{}
	if p.Screen != nil {
		stop = p.Screen.Watch(func(uint64, pad.View) { p.signal() })
	} else {
		stop = p.Pad.Subscribe(func(pad.View) { p.signal() })
	}
	web, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // the embedded folder is part of the build
	}
	mux.Handle("GET /sim/web/", http.StripPrefix("/sim/web/", http.FileServerFS(web)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, web, "index.html")
	})
	mux.HandleFunc("GET /sim/info", p.info)
	mux.HandleFunc("GET /sim/screen.png", p.screenPNG)
	mux.HandleFunc("POST /sim/touch", p.touch)
	mux.HandleFunc("GET /sim/targets", p.targets)
	mux.HandleFunc("GET /sim/events", p.events)
	mux.HandleFunc("GET /sim/receipts/latest.png", p.latest(true))
	mux.HandleFunc("GET /sim/receipts/latest.bin", p.latest(false))
	return stop
}

func (p *Page) signal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for s := range p.subs {
		select {
		case s.state <- struct{}{}:
		default: // one pending signal is enough: the event carries the whole state
		}
	}
}

// Printed tells the page's clients that receipt job n came out.
func (p *Page) Printed(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastJob = n
	for s := range p.subs {
		select {
		case s.receipt <- n:
		default:
		}
	}
}

// Spoke tells the page's clients to play the clip of key (Voice.OnPlay).
func (p *Page) Spoke(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for s := range p.subs {
		select {
		case s.voice <- key:
		default: // a client that does not keep up misses a clip, never the pad
		}
	}
}

func (p *Page) info(w http.ResponseWriter, r *http.Request) {
	in := p.Info()
	p.mu.Lock()
	in.ReceiptJob = p.lastJob
	p.mu.Unlock()
	localapi.JSON(w, http.StatusOK, in)
}

// errNoScreen answers the screen routes when no CJK font was found.
func (p *Page) errNoScreen(w http.ResponseWriter) bool {
	if p.Screen != nil {
		return false
	}
	localapi.Error(w, http.StatusServiceUnavailable, "no screen: no CJK font found; install Debian's fonts-droid-fallback or set display.font")
	return true
}

func (p *Page) screenPNG(w http.ResponseWriter, r *http.Request) {
	if p.errNoScreen(w) {
		return
	}
	b, v, err := p.Screen.PNG()
	if err != nil {
		localapi.Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Screen-Version", strconv.FormatUint(v, 10))
	w.Write(b)
}

func (p *Page) touch(w http.ResponseWriter, r *http.Request) {
	body, err := localapi.ReadBody(w, r, 1<<10)
	if err != nil {
		localapi.Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	var req struct {
		X, Y *int
	}
	in := p.Info()
	if err := json.Unmarshal(body, &req); err != nil || req.X == nil || req.Y == nil ||
		*req.X < 0 || *req.Y < 0 || *req.X >= in.Width || *req.Y >= in.Height {
		localapi.Error(w, http.StatusBadRequest, fmt.Sprintf("body must be {\"x\":…,\"y\":…} inside the %d×%d panel", in.Width, in.Height))
		return
	}
	if p.errNoScreen(w) {
		return
	}
	t, out, err := p.Screen.Touch(p.Pad, *req.X, *req.Y)
	if err != nil {
		localapi.Error(w, localapi.Status(err), err.Error())
		return
	}
	localapi.JSON(w, http.StatusOK, map[string]any{"target": map[string]any{"kind": t.Kind.String(), "stars": t.Stars,
		"code": t.Code, "project_no": t.ProjectNo}, "outcome": out})
}

// targets lists the touch targets of the current screen, in panel pixels.
func (p *Page) targets(w http.ResponseWriter, r *http.Request) {
	type target struct {
		Kind      string `json:"kind"`
		Stars     int    `json:"stars,omitempty"`
		Code      string `json:"code,omitempty"`
		ProjectNo string `json:"project_no,omitempty"`
		X         int    `json:"x"`
		Y         int    `json:"y"`
		W         int    `json:"w"`
		H         int    `json:"h"`
	}
	if p.errNoScreen(w) {
		return
	}
	out := []target{}
	for _, t := range p.Screen.Targets() {
		out = append(out, target{Kind: t.Kind.String(), Stars: t.Stars, Code: t.Code, ProjectNo: t.ProjectNo,
			X: t.Rect.Min.X, Y: t.Rect.Min.Y, W: t.Rect.Dx(), H: t.Rect.Dy()})
	}
	localapi.JSON(w, http.StatusOK, map[string]any{"targets": out})
}

func (p *Page) latest(png bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		img, bin, ok := p.Printer.Latest()
		if !ok {
			localapi.Error(w, http.StatusNotFound, "nothing printed yet")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if png {
			w.Header().Set("Content-Type", "image/png")
			w.Write(img)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(bin)
	}
}

// version is the screen's version (without a screen, a counter of the
// changes seen): the page reloads the screen picture when it changes.
func (p *Page) version() uint64 {
	if p.Screen != nil {
		v, _ := p.Screen.Version()
		return v
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes++
	return p.changes
}

// stateEvent is the data of an SSE "state" event: the pad's state (the
// view, the outbox, the faults) and the screen picture's version.
type stateEvent struct {
	Version uint64      `json:"version"`
	View    pad.View    `json:"view"`
	Outbox  store.Stats `json:"outbox"`
	Faults  []string    `json:"faults"`
}

// events streams "state" (the whole state, after every change),
// "receipt" ({"job":n}) and "voice" ({"key":…}: play /sim/voice/clips/key)
// events until the client goes away.
func (p *Page) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		localapi.Error(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	s := &subscriber{state: make(chan struct{}, 1), receipt: make(chan int, 4), voice: make(chan string, 32)}
	p.mu.Lock()
	p.subs[s] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.subs, s)
		p.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	s.state <- struct{}{} // the current state first
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		case k := <-s.voice:
			b, _ := json.Marshal(map[string]string{"key": k})
			fmt.Fprintf(w, "event: voice\ndata: %s\n\n", b)
		case n := <-s.receipt:
			fmt.Fprintf(w, "event: receipt\ndata: {\"job\":%d}\n\n", n)
		case <-s.state:
			v := p.version()
			st := p.State()
			b, _ := json.Marshal(stateEvent{Version: v, View: st.View, Outbox: st.Outbox, Faults: st.Faults})
			fmt.Fprintf(w, "event: state\ndata: %s\n\n", b)
		}
		fl.Flush()
	}
}
