package central

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"evalpad/display/receipt"
	"evalpad/rating"
)

// RatePath is where the central serves 扫码评价 (the pads' display.scan_url
// is this central's base URL and RatePath).
const RatePath = "/rate"

//go:embed rate_page/rate.html
var ratePageFS embed.FS

var ratePage = template.Must(template.ParseFS(ratePageFS, "rate_page/rate.html"))

// Rater serves 扫码评价 (网上 一事一评), the URL a receipt's QR code and a
// pad's idle screen carry:
//
//	GET  /rate?p=PROJECT&d=DEVICE&t=TOKEN   the page rating one case
//	GET  /rate?d=DEVICE&w=WINDOW            the page rating a window (no case)
//	POST /rate  {"p","d","t","stars","reasons"} or {"d","w","stars","reasons"}
//	     → 201 {"id"}; 400 bad rating; 403 bad, expired or foreign token;
//	     404 case or window unknown here; 409 rated already
//
// A case is rated once by this channel, as the central's record closing
// the session the pad reported unrated (ClosingID): a session rated at the
// pad, or given its default 4★, is not rated again (nor a session of
// several cases, by a second of its receipts); a case whose session
// has not reached the central yet cannot be rated until it has (the
// citizen is asked to rate at the pad, or to scan again later).
type Rater struct {
	Store Store
	// Host is the host[:port] of this central's scan URL, the one the pads'
	// tokens bind (receipt.VerifyURL).
	Host   string
	Keys   func(ctx context.Context) (map[string]string, error) // receipt keys by id
	Device func(ctx context.Context, id string) (Registered, error)
	Codes  ChannelCodes // nil: DefaultChannelCodes
	// SMS, when set, also takes the links of SMS reminders (?s=TOKEN,
	// {"s",…}): the session's rating by the 短信 channel.
	SMS *SMS
	// Limiter counts refused tokens per client address (guessing).
	Limiter *Limiter
	Now     func() time.Time
	Logger  *slog.Logger
}

// Register adds GET and POST RatePath to mux.
func (rt *Rater) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+RatePath, rt.page)
	mux.HandleFunc("POST "+RatePath, rt.post)
}

// target is what a scan rates: a case, or a window.
type target struct {
	Case   *Case
	Device Registered
	Window string
	Hall   string
	Staff  rating.RecordStaff
	Zone   *time.Location
	via    string // the channel: ChannelScan when ""
}

// scanError is a refusal with its HTTP status and the citizen's words.
type scanError struct {
	status int
	words  string
	err    error
}

func (e *scanError) Error() string { return e.err.Error() }

func refuse(status int, words string, err error) *scanError {
	return &scanError{status: status, words: words, err: err}
}

func (rt *Rater) now() time.Time {
	if rt.Now != nil {
		return rt.Now()
	}
	return time.Now()
}

// resolve checks q (p, d, t of a receipt; or d, w of a window) and finds
// what it rates.
func (rt *Rater) resolve(ctx context.Context, q url.Values, client string) (target, error) {
	now := rt.now()
	if q.Get("s") != "" && rt.SMS != nil {
		return rt.smsTarget(ctx, q.Get("s"))
	}
	if q.Get("t") == "" && q.Get("p") == "" {
		return rt.window(ctx, q.Get("d"), q.Get("w"))
	}
	if rt.Limiter != nil && !rt.Limiter.Allow(client, now) {
		return target{}, refuse(http.StatusTooManyRequests, "尝试次数过多，请稍后再试。", errors.New("too many refused tokens from this address"))
	}
	keys, err := rt.Keys(ctx)
	if err != nil {
		return target{}, err
	}
	byID := make(map[string][]byte, len(keys))
	for id, k := range keys {
		byID[id] = []byte(k)
	}
	u := url.URL{Scheme: "https", Host: rt.Host, Path: RatePath, RawQuery: url.Values{"p": q["p"], "d": q["d"], "t": q["t"]}.Encode()}
	scan, err := receipt.VerifyURL(receipt.Keys{ByID: byID}, rt.Host, now, u.String())
	if err != nil {
		if rt.Limiter != nil {
			rt.Limiter.Fail(client, now)
		}
		if errors.Is(err, receipt.ErrExpired) {
			return target{}, refuse(http.StatusForbidden, "此二维码已过期，无法再评价。", err)
		}
		return target{}, refuse(http.StatusForbidden, "此二维码无效：不是本评价中心的办件回执，或已被改动。", err)
	}
	dev, err := rt.Device(ctx, scan.DeviceID)
	if err != nil {
		return target{}, refuse(http.StatusNotFound, "此二维码的评价器未在本评价中心登记。", err)
	}
	from := scan.Expires.Add(-receipt.MaxLifetime).In(chinaTime).Format(time.DateOnly)
	c, ok, err := FindCase(ctx, rt.Store, scan.DeviceID, scan.ProjectNo, from)
	switch {
	case err != nil:
		return target{}, err
	case !ok:
		return target{}, refuse(http.StatusNotFound, "此办件的评价尚未送达评价中心：请在窗口评价器上评价，或稍后再扫码。",
			fmt.Errorf("case %s of %s: no record of it yet", scan.ProjectNo, scan.DeviceID))
	}
	r := c.Record
	return target{Case: &c, Device: dev, Window: r.Window, Hall: r.Hall, Staff: r.Staff, Zone: zoneOf(r.At)}, nil
}

// smsTarget is the session an SMS reminder's link names.
func (rt *Rater) smsTarget(ctx context.Context, token string) (target, error) {
	u, err := rt.SMS.session(ctx, token)
	if errors.Is(err, errSMSToken) {
		return target{}, refuse(http.StatusForbidden, "此链接无效：不是本评价中心发出的评价短信。", err)
	} else if err != nil {
		return target{}, err
	}
	t, err := rt.SMS.target(ctx, u)
	if err != nil {
		return target{}, err
	}
	if dev, err := rt.Device(ctx, u.DeviceID); err == nil {
		t.Device = dev // its reasons
	}
	return t, nil
}

// window finds the window a static QR code names.
func (rt *Rater) window(ctx context.Context, device, window string) (target, error) {
	t, err := findWindow(ctx, rt.Store, rt.Device, device, window)
	if errors.Is(err, errNoWindow) {
		return target{}, refuse(http.StatusNotFound, "此二维码无效：本评价中心没有这个窗口。", err)
	}
	return t, err
}

var errNoWindow = errors.New("no such window")

// findWindow finds window of device, active: the window its config or its
// newest record names (errNoWindow when another, or the device is unknown).
func findWindow(ctx context.Context, st Store, devices func(context.Context, string) (Registered, error), device, window string) (target, error) {
	bad := fmt.Errorf("%w: window %q of device %q", errNoWindow, window, device)
	if device == "" || window == "" {
		return target{}, bad
	}
	dev, err := devices(ctx, device)
	if errors.Is(err, ErrNoDevice) || err == nil && dev.Status != DeviceActive {
		return target{}, bad
	} else if err != nil {
		return target{}, err
	}
	t := target{Device: dev, Zone: chinaTime}
	rows, err := st.Records(ctx, Filter{DeviceID: device, Newest: true, Limit: 1})
	if err != nil {
		return target{}, err
	}
	if len(rows) > 0 {
		t.Hall, t.Window, t.Zone = rows[0].Hall, rows[0].Window, zoneOf(rows[0].At)
	}
	if cfg := dev.Config; cfg != nil && cfg.Window != nil {
		t.Window = *cfg.Window
		if cfg.Hall != nil {
			t.Hall = *cfg.Hall
		}
	}
	if t.Window != window {
		return target{}, bad
	}
	return t, nil
}

// reasons are the 差评 reasons the device offers (its config's, else the
// national list).
func (t target) reasons() rating.Reasons {
	if cfg := t.Device.Config; cfg != nil && cfg.Reasons != nil {
		return *cfg.Reasons
	}
	return rating.DefaultReasons()
}

// blocked says why t may not be rated by this channel, "" when it may.
func (t target) blocked() string {
	switch {
	case t.Case == nil:
		return ""
	case t.Case.Rated:
		return "此办件已在窗口评价器上评价过，感谢您的参与。"
	case t.Case.Closed:
		return "此办件已评价过（或已过评价时限），无需再评价。"
	}
	return ""
}

// made is the central's record of a rating of t through channel via
// (pf code code) at at: the case's session, cases and staff, the case as
// its target; a window's rating has no case and FlagWindow. ID is unset.
func made(t target, code, via string, stars int, reasons []string, at time.Time) rating.Record {
	r := rating.Record{V: 1, Kind: rating.KindRating, DeviceID: t.Device.DeviceID, Hall: t.Hall, Window: t.Window, Staff: t.Staff,
		Mode: rating.ModeSingle, Cases: []rating.Case{}, Stars: rating.Stars(stars), Good: rating.Stars(stars).Good(),
		Reasons: append([]string{}, reasons...), Channel: code,
		At: rating.FormatTime(at, t.Zone), Flags: []string{FlagChannel, FlagVia + via}}
	if c := t.Case; c != nil {
		u := c.Record
		r.AreaCode, r.SessionID, r.Mode, r.OpenedAt = u.AreaCode, u.SessionID, u.Mode, u.OpenedAt
		r.Cases, r.Target = append([]rating.Case{}, u.Cases...), c.Case.ProjectNo
		return r
	}
	r.Flags = append(r.Flags, FlagWindow)
	return r
}

// record is the central's record of a scan rating of t: a case's closes
// its unrated session (ClosingID), a window's has a random id.
func (rt *Rater) record(t target, stars int, reasons []string, now time.Time) rating.Record {
	via := cmp.Or(t.via, ChannelScan)
	r := made(t, rt.Codes.Code(via), via, stars, reasons, now)
	if t.Case != nil {
		r.ID = ClosingID(t.Case.Record.ID)
	} else {
		r.ID = randomID()
	}
	return r
}

// pageData is what rate.html shows.
type pageData struct {
	Error, Blocked   string
	Hall, Window     string
	TaskName, Served string
	P, D, T, W, S    string
	Stars            int // the level chosen already (an SMS 差评's link)
	Levels           []pageLevel
}

type pageLevel struct {
	Stars   int
	Glyphs  string // ★★☆☆☆
	Word    string
	Reasons []rating.Reason
}

func (rt *Rater) page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	t, err := rt.resolve(r.Context(), q, clientOf(r))
	d := pageData{P: q.Get("p"), D: q.Get("d"), T: q.Get("t"), W: q.Get("w"), S: q.Get("s")}
	if n, ok := ParseReply(q.Get("stars")); ok {
		d.Stars = n
	}
	status := http.StatusOK
	if se := (*scanError)(nil); errors.As(err, &se) {
		d.Error, status = se.words, se.status
	} else if err != nil {
		rt.log().Error("evalhub: rate page", "err", err)
		d.Error, status = "评价中心暂时无法处理，请稍后再试。", http.StatusInternalServerError
	} else {
		d.Hall, d.Window, d.Blocked = t.Hall, t.Window, t.blocked()
		if c := t.Case; c != nil {
			d.TaskName = c.Case.TaskName
			if at, err := time.Parse(time.RFC3339Nano, cmp.Or(c.Record.OpenedAt, c.Record.At)); err == nil {
				d.Served = at.Format("2006-01-02 15:04")
			}
		}
		rs := t.reasons()
		for s := rating.MaxStars; s >= rating.MinStars; s-- {
			d.Levels = append(d.Levels, pageLevel{Stars: int(s), Glyphs: strings.Repeat("★", int(s)) + strings.Repeat("☆", 5-int(s)), Word: s.Word(), Reasons: rs.For(s)})
		}
	}
	var b bytes.Buffer
	if err := ratePage.Execute(&b, d); err != nil {
		rt.log().Error("evalhub: rate page", "err", err)
		http.Error(w, "评价中心暂时无法处理，请稍后再试。", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// ratePost is the JSON the page posts.
type ratePost struct {
	P       string   `json:"p"`
	D       string   `json:"d"`
	T       string   `json:"t"`
	W       string   `json:"w"`
	S       string   `json:"s"`
	Stars   int      `json:"stars"`
	Reasons []string `json:"reasons"`
}

func (rt *Rater) post(w http.ResponseWriter, r *http.Request) {
	var in ratePost
	dec := json.NewDecoder(io.LimitReader(r.Body, 8<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("body: %w", err))
		return
	}
	q := url.Values{"d": {in.D}}
	if in.S != "" {
		q["s"] = []string{in.S}
	} else if in.P != "" || in.T != "" {
		q["p"], q["t"] = []string{in.P}, []string{in.T}
	} else {
		q["w"] = []string{in.W}
	}
	t, err := rt.resolve(r.Context(), q, clientOf(r))
	if se := (*scanError)(nil); errors.As(err, &se) {
		writeJSON(w, se.status, map[string]string{"error": se.err.Error(), "message": se.words})
		return
	} else if err != nil {
		rt.log().Error("evalhub: rate", "err", err)
		writeError(w, http.StatusInternalServerError, errors.New("the central cannot store ratings now"))
		return
	}
	if b := t.blocked(); b != "" {
		writeJSON(w, http.StatusConflict, map[string]string{"error": ErrRated.Error(), "message": b})
		return
	}
	if err := checkVerdict(t.reasons(), in.Stars, in.Reasons); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	now := rt.now()
	rec := rt.record(t, in.Stars, in.Reasons, now)
	switch err := storeMade(r.Context(), rt.Store, rec, now); {
	case errors.Is(err, ErrRated):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error(), "message": "此办件已评价过，无需再评价。"})
	case err != nil:
		rt.log().Error("evalhub: rate", "err", err)
		writeError(w, http.StatusInternalServerError, errors.New("the central cannot store ratings now"))
	default:
		writeJSON(w, http.StatusCreated, map[string]string{"id": rec.ID})
	}
}

func (rt *Rater) log() *slog.Logger {
	if rt.Logger != nil {
		return rt.Logger
	}
	return slog.New(slog.DiscardHandler)
}
