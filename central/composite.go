package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"evalpad/rating"
)

// CompositePath is the 综合点评 route: ratings from 12345, letters and
// supervision (监督查评), entered by an operator; also the results of the
// phone follow-up (办件随机抽评, channel "phone", ref as the call list gives it).
const CompositePath = "/api/v1/channels/ratings"

// CompositeChannels are the channels CompositePath takes.
var compositeChannels = []string{Channel12345, ChannelLetter, ChannelSupervision, ChannelPhone}

// Composite adds 综合点评 ratings (operator):
//
//	POST /api/v1/channels/ratings
//	{"channel":"12345"|"letter"|"supervision"|"phone", "ref":"<the source's number>",
//	 "device_id":"TA-1", "project_no":"P…"        a case (as its pad reported it)
//	 | "device_id":"TA-1", "window":"12"          or a window
//	 "stars":1..5, "reasons":[…] (1★–2★: at least one of that level's),
//	 "at":"RFC 3339" (when it was given; default now)}
//	→ 201 {"record":…}; 400 bad input; 404 no such case or window; 409 the
//	  channel's ref is stored already (the record named in "id")
//
// The record is the central's (FlagChannel, FlagVia+channel, the channel's
// pf code, no sig), with the case's session, cases, staff and the case as
// its target; its id derives from channel and ref, so entering one
// complaint twice stores it once. It is a rating of its own: it does not
// close the pad's unrated session (unlike the receipt's QR).
type Composite struct {
	Store  Store
	Device func(ctx context.Context, id string) (Registered, error)
	Codes  ChannelCodes // nil: DefaultChannelCodes
	Now    func() time.Time
}

// CompositeRating is the body of POST CompositePath.
type CompositeRating struct {
	Channel   string   `json:"channel"`
	Ref       string   `json:"ref"`
	DeviceID  string   `json:"device_id"`
	ProjectNo string   `json:"project_no"`
	Window    string   `json:"window"`
	Stars     int      `json:"stars"`
	Reasons   []string `json:"reasons"`
	At        string   `json:"at"`
}

// Add stores in as a record (see Composite), or says why not: an error
// wrapping ErrBadRating, errNoWindow, ErrNoCase or ErrRated.
func (c *Composite) Add(ctx context.Context, in CompositeRating) (rating.Record, error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	bad := func(format string, args ...any) (rating.Record, error) {
		return rating.Record{}, fmt.Errorf("%w: "+format, append([]any{ErrBadRating}, args...)...)
	}
	if !slices.Contains(compositeChannels, in.Channel) {
		return bad("channel: %q is not one of %v", in.Channel, compositeChannels)
	}
	if err := rating.CheckID("ref", in.Ref); err != nil {
		return bad("%v", err)
	}
	at := now
	if in.At != "" {
		t, err := time.Parse(time.RFC3339, in.At)
		if err != nil || t.After(now.Add(5*time.Minute)) {
			return bad("at: %q is not an RFC 3339 time up to now", in.At)
		}
		at = t
	}
	var t target
	switch {
	case in.ProjectNo != "" && in.Window == "":
		dev, err := c.Device(ctx, in.DeviceID)
		if err != nil {
			return rating.Record{}, fmt.Errorf("%w: device %q: %v", ErrNoCase, in.DeviceID, err)
		}
		cs, ok, err := FindCase(ctx, c.Store, in.DeviceID, in.ProjectNo, "")
		if err != nil {
			return rating.Record{}, err
		}
		if !ok {
			return rating.Record{}, fmt.Errorf("%w: %s of %s", ErrNoCase, in.ProjectNo, in.DeviceID)
		}
		r := cs.Record
		t = target{Case: &cs, Device: dev, Hall: r.Hall, Window: r.Window, Staff: r.Staff, Zone: zoneOf(r.At)}
	case in.Window != "" && in.ProjectNo == "":
		var err error
		if t, err = findWindow(ctx, c.Store, c.Device, in.DeviceID, in.Window); err != nil {
			return rating.Record{}, err
		}
	default:
		return bad("give project_no (a case) or window, not both")
	}
	if err := checkVerdict(t.reasons(), in.Stars, in.Reasons); err != nil {
		return bad("%v", err)
	}
	rec := made(t, c.Codes.Code(in.Channel), in.Channel, in.Stars, in.Reasons, at.In(t.Zone))
	rec.ID = derivedID("composite", in.Channel, in.Ref)
	if err := storeMade(ctx, c.Store, rec, now); err != nil {
		return rec, err
	}
	return rec, nil
}

// Errors of Composite.Add.
var (
	ErrBadRating = errors.New("central: bad rating")
	ErrNoCase    = errors.New("central: no such case")
)

func (c *Composite) serve(w http.ResponseWriter, r *http.Request) {
	var in CompositeRating
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: body: %v", ErrBadRating, err))
		return
	}
	rec, err := c.Add(r.Context(), in)
	switch {
	case err == nil:
		writeJSON(w, http.StatusCreated, map[string]any{"record": rec})
	case errors.Is(err, ErrBadRating):
		writeError(w, http.StatusBadRequest, err)
	case errors.Is(err, ErrNoCase), errors.Is(err, errNoWindow):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, ErrRated):
		writeJSON(w, http.StatusConflict, map[string]string{"error": fmt.Sprintf("%s %q is entered already", in.Channel, in.Ref), "id": rec.ID})
	default:
		writeError(w, http.StatusInternalServerError, err)
	}
}
