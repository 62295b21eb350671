package central

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"evalpad/rating"
)

// Channels other than the pad (issue 12): the central makes their records
// itself. Such a record has no pad's signature (sig ""); what vouches for it
// is the check the central made before storing it (a receipt token it
// verified, an operator's token), the flag FlagChannel, which pads may not
// send (CentralFlags), and its version 8 id, which pads may not use either.
// It is stored through Store.Insert like every record, so the figures count
// it once: its id is derived from what it rates, so a second rating of the
// same thing by the same channel is a duplicate Insert skips.
const (
	// FlagChannel marks a rating the central made from another channel
	// (scan, 12345, letters, supervision); FlagVia+name says which.
	FlagChannel = "channel"
	FlagVia     = "via:"
	// FlagWindow marks a rating of a window with no case (the window's
	// static QR code on the pad's idle screen).
	FlagWindow = "window"
)

// Channel names and their default 评价渠道 (pf) codes; a deployment maps
// them per province (ChannelCodes).
const (
	ChannelScan        = "qr"          // 二维码: the receipt's or the window's QR code
	Channel12345       = "12345"       // 12345 hotline
	ChannelLetter      = "letter"      // letters and visits
	ChannelSupervision = "supervision" // 监督查评
)

// ChannelCodes maps channel names to the pf code a record carries.
type ChannelCodes map[string]string

// DefaultChannelCodes: 3 二维码, 6 短信; the phone follow-up and the 综合点评
// sources are 5 其他终端.
func DefaultChannelCodes() ChannelCodes {
	return ChannelCodes{ChannelScan: "3", ChannelSMS: "6", ChannelPhone: "5", Channel12345: "5", ChannelLetter: "5", ChannelSupervision: "5"}
}

// Code is name's pf code (the default's when c lacks it).
func (c ChannelCodes) Code(name string) string {
	if v, ok := c[name]; ok {
		return v
	}
	return DefaultChannelCodes()[name]
}

// derivedID is a version 8 UUID (the central's) derived from parts.
func derivedID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return uuid8(h.Sum(nil))
}

// randomID is a random version 8 UUID.
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return uuid8(b[:])
}

func uuid8(h []byte) string {
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// China Standard Time: the zone of central-made records that have no pad
// record to take one from.
var chinaTime = time.FixedZone("CST", 8*3600)

// zoneOf is the zone of a pad's RFC 3339 time (its offset), else CST.
func zoneOf(at string) *time.Location {
	if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
		return t.Location()
	}
	return chinaTime
}

// Case is what the central knows of one case from its pad's records.
type Case struct {
	Record rating.Record // the pad's record of the session holding the case
	Case   rating.Case
	// Rated: the session was rated at the pad (a rating record, not the
	// default): another channel must not rate it again.
	Rated bool
	// Closed: the session already has the central's closing record (the
	// default 4★, or a rating by another channel): ClosingID is stored.
	Closed bool
}

// ClosingID is the id of the central's one record that closes the unrated
// session u: the default 4★ (DefaultID), or in its place a rating by
// another channel (the scan of a receipt). Sharing the id makes the two
// exclusive: whichever is stored first, the other is a duplicate, and the
// figures count the session once (Compute treats the unrated record with
// its closing record stored as closed).
func ClosingID(unratedID string) string { return DefaultID(unratedID) }

// FindCase looks for the case projectNo among device's records since
// from (a day, YYYY-MM-DD): ok false when no record of it has arrived.
func FindCase(ctx context.Context, st Store, device, projectNo, from string) (Case, bool, error) {
	rows, err := st.Records(ctx, Filter{DeviceID: device, From: from})
	if err != nil {
		return Case{}, false, fmt.Errorf("central: find case %s: %w", projectNo, err)
	}
	var c Case
	found := false
	ids := map[string]bool{}
	for i := range rows {
		ids[rows[i].ID] = true
	}
	for i := range rows {
		r := &rows[i].Record
		if slices.Contains(r.Flags, FlagDefault) || slices.Contains(r.Flags, FlagChannel) {
			continue
		}
		k := slices.IndexFunc(r.Cases, func(x rating.Case) bool { return x.ProjectNo == projectNo })
		if k < 0 {
			continue
		}
		// A rating at the pad wins over an unrated record of the case.
		if found && c.Rated {
			continue
		}
		c = Case{Record: *r, Case: r.Cases[k], Rated: r.Kind == rating.KindRating}
		c.Closed = r.Kind == rating.KindUnrated && ids[ClosingID(r.ID)]
		found = true
	}
	return c, found, nil
}

// ErrRated: what a rating would rate is rated already (HTTP 409).
var ErrRated = errors.New("central: already rated")

// storeMade stores one central-made record; ErrRated when its id is
// stored already (a second rating of the same thing).
func storeMade(ctx context.Context, st Store, r rating.Record, now time.Time) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("central: record %s: %w", r.ID, err)
	}
	res, err := st.Insert(ctx, []Row{NewRow(r, body, now)}, nil)
	switch {
	case err != nil:
		return fmt.Errorf("central: store record %s: %w", r.ID, err)
	case res.New == 1:
		return nil
	}
	return ErrRated
}

// checkVerdict validates stars and reasons against reasons: reasons only
// for 1★–2★, each of that level's list, at least one for a 差评.
func checkVerdict(rs rating.Reasons, stars int, reasons []string) error {
	s := rating.Stars(stars)
	if !s.Valid() {
		return fmt.Errorf("stars: %d is not 1 to 5", stars)
	}
	if s.Good() {
		if len(reasons) > 0 {
			return fmt.Errorf("reasons: a %d★ rating takes none", stars)
		}
		return nil
	}
	if len(reasons) == 0 {
		return fmt.Errorf("reasons: a %d★ rating needs at least one", stars)
	}
	return rs.Check(s, reasons)
}
