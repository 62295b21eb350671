package pad_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"evalpad/pad"
	"evalpad/pad/padtest"
	"evalpad/rating"
	"evalpad/store"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// t0 is when every test starts: 2026-11-25T10:00:00+08:00.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai)

const (
	pno1 = "37090020261125000123"
	pno2 = "37090020261125000124"
	pno3 = "37090020261125000125"
)

func settings() pad.Settings {
	return pad.Settings{
		Origin:         rating.Origin{DeviceID: "TA-ZWFW-W12", AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "12", Channel: "4"},
		Location:       shanghai,
		OnDuty:         rating.Staff{ID: "TA0999", Name: "值班员"},
		Reasons:        rating.DefaultReasons(),
		SessionTimeout: 10 * time.Minute,
		ReasonsTimeout: 60 * time.Second,
		ThanksDuration: 3 * time.Second,
		MinInterval:    3 * time.Second,
	}
}

// rig is a pad over a real store in a temp dir, driven by a fake clock.
type rig struct {
	t     *testing.T
	path  string
	opts  store.Options
	set   pad.Settings
	clock *padtest.Clock
	st    *store.Store
	p     *pad.Pad
	seed  uint64

	mu         sync.Mutex      // listeners run in the goroutine of each input
	thanksSeen map[string]bool // record ids the thank-you screen was shown for
}

type option func(r *rig)

func withWalkin(r *rig)                         { r.set.Walkin = true }
func withOutboxMax(n int) option                { return func(r *rig) { r.opts.OutboxMax = n } }
func withSettings(f func(*pad.Settings)) option { return func(r *rig) { f(&r.set) } }

func newRig(t *testing.T, opts ...option) *rig {
	t.Helper()
	r := &rig{t: t, path: filepath.Join(t.TempDir(), "pad.db"), set: settings(),
		clock: padtest.NewClock(t0), thanksSeen: map[string]bool{}}
	for _, o := range opts {
		o(r)
	}
	r.open()
	t.Cleanup(func() {
		r.checkRecords()
		r.shut()
	})
	return r
}

// open opens the store and a pad over it, and starts the pad.
func (r *rig) open() {
	r.t.Helper()
	st, err := store.Open(r.path, r.opts)
	if err != nil {
		r.t.Fatalf("store.Open: %v", err)
	}
	r.st = st
	r.seed++
	p, err := pad.New(r.set, st, r.clock, rand.NewChaCha8([32]byte{byte(r.seed)}), nil)
	if err != nil {
		st.Close()
		r.st = nil
		r.t.Fatalf("pad.New: %v", err)
	}
	r.p = p
	// The thank-you screen is only ever shown for a record already in the store.
	// A view older than one told already is dropped, as the screen drops
	// it (listeners run outside the pad's lock: two may cross).
	first := p.View()
	last, newest := first.Screen, first.Version
	p.Subscribe(func(v pad.View) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if v.Version < newest {
			return
		}
		newest = v.Version
		if v.Screen == pad.ScreenThanks && last != pad.ScreenThanks {
			switch {
			case v.Last == nil:
				r.t.Errorf("thank-you screen with no record")
			case r.thanksSeen[v.Last.ID]:
				r.t.Errorf("thank-you screen again for record %s", v.Last.ID)
			case !r.stored(v.Last.ID):
				r.t.Errorf("thank-you screen for record %s, which is not in the store", v.Last.ID)
			}
			if v.Last != nil {
				r.thanksSeen[v.Last.ID] = true
			}
		}
		last = v.Screen
	})
	p.Start()
}

// shut closes the pad, checks the bbolt file and closes the store.
func (r *rig) shut() {
	r.t.Helper()
	if r.p != nil {
		r.p.Close()
		r.p = nil
	}
	if r.st != nil {
		if err := r.st.Check(); err != nil {
			r.t.Errorf("store check: %v", err)
		}
		if err := r.st.Close(); err != nil {
			r.t.Errorf("store close: %v", err)
		}
		r.st = nil
	}
}

// restart stops the pad and its store, as a power cut after the last
// commit would, and brings both back up over the same file.
func (r *rig) restart() {
	r.t.Helper()
	r.shut()
	r.open()
}

func (r *rig) stored(id string) bool {
	found := false
	err := r.st.Records(func(e store.Entry) error {
		found = found || e.ID == id
		return nil
	})
	if err != nil {
		r.t.Errorf("store records: %v", err)
	}
	return found
}

// records reads every stored record back, decoding the JSON as the central would.
func (r *rig) records() []rating.Record {
	r.t.Helper()
	var out []rating.Record
	err := r.st.Records(func(e store.Entry) error {
		var rec rating.Record
		if err := json.Unmarshal(e.JSON, &rec); err != nil {
			return err
		}
		if rec.ID != e.ID || rec.Seq != e.Seq {
			r.t.Errorf("entry seq %d id %s holds record seq %d id %s", e.Seq, e.ID, rec.Seq, rec.ID)
		}
		out = append(out, rec)
		return nil
	})
	if err != nil {
		r.t.Fatalf("store records: %v", err)
	}
	return out
}

// pending is the unacked records.
func (r *rig) pending() []store.Entry {
	r.t.Helper()
	es, err := r.st.Pending(0, 1<<20)
	if err != nil {
		r.t.Fatalf("store pending: %v", err)
	}
	return es
}

// ackPending acks every unacked record, as the central would, and returns
// how many it acked.
func (r *rig) ackPending() int {
	r.t.Helper()
	var ids []string
	for _, e := range r.pending() {
		ids = append(ids, e.ID)
	}
	n, err := r.st.Ack(ids, r.clock.Now())
	if err != nil {
		r.t.Fatalf("ack: %v", err)
	}
	return n
}

var (
	atRE   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$`)
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// checkRecords asserts what holds for every record: seq strictly increasing,
// times in device time with milliseconds and +08:00, ids distinct version-7
// UUIDs whose timestamp is the record's time.
func (r *rig) checkRecords() {
	r.t.Helper()
	if r.st == nil {
		return
	}
	recs := r.records()
	ids := map[string]bool{}
	var seq uint64
	for i, rec := range recs {
		if rec.Seq <= seq {
			r.t.Errorf("record %d: seq %d after %d", i, rec.Seq, seq)
		}
		seq = rec.Seq
		if !atRE.MatchString(rec.At) {
			r.t.Errorf("record %d: at %q is not %s in +08:00", i, rec.At, rating.TimeLayout)
		}
		at, err := time.Parse(rating.TimeLayout, rec.At)
		if err != nil || at.Format(rating.TimeLayout) != rec.At {
			r.t.Errorf("record %d: at %q does not round-trip through rating.TimeLayout: %v", i, rec.At, err)
		}
		if rec.OpenedAt != "" && !atRE.MatchString(rec.OpenedAt) {
			r.t.Errorf("record %d: opened_at %q is not %s in +08:00", i, rec.OpenedAt, rating.TimeLayout)
		}
		if (rec.OpenedAt == "") != (rec.SessionID == "") {
			r.t.Errorf("record %d: session %q opened_at %q", i, rec.SessionID, rec.OpenedAt)
		}
		if !uuidRE.MatchString(rec.ID) {
			r.t.Errorf("record %d: id %q is not a version-7 UUID", i, rec.ID)
		} else {
			var ms [8]byte
			hexMS := strings.ReplaceAll(rec.ID[:13], "-", "")
			for j := 0; j < 6; j++ {
				ms[2+j] = unhex(hexMS[2*j])<<4 | unhex(hexMS[2*j+1])
			}
			if got := int64(binary.BigEndian.Uint64(ms[:])); err == nil && got != at.UnixMilli() {
				r.t.Errorf("record %d: id %s carries %d ms, at is %d", i, rec.ID, got, at.UnixMilli())
			}
		}
		if ids[rec.ID] {
			r.t.Errorf("record %d: id %s used twice", i, rec.ID)
		}
		ids[rec.ID] = true
		if rec.V != 1 || rec.DeviceID != "TA-ZWFW-W12" || rec.Channel != "4" || rec.AreaCode != "370900" || rec.Window != "12" {
			r.t.Errorf("record %d: origin %+v", i, rec)
		}
		if rec.Cases == nil || rec.Reasons == nil || rec.Flags == nil {
			r.t.Errorf("record %d: a null list: %+v", i, rec)
		}
		if (rec.Kind == rating.KindUnrated) != (rec.Stars == 0) || rec.Good != (rec.Stars >= 3) {
			r.t.Errorf("record %d: kind %s stars %d good %v", i, rec.Kind, rec.Stars, rec.Good)
		}
		if len(rec.Reasons) > 0 && rec.Stars > 2 {
			r.t.Errorf("record %d: reasons on a 好评", i)
		}
	}
	stats, err := r.st.Stats()
	if err != nil {
		r.t.Errorf("store stats: %v", err)
	} else if stats.LastSeq != seq {
		r.t.Errorf("store last seq %d, last record seq %d", stats.LastSeq, seq)
	}
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// Inputs that must succeed.

func (r *rig) openSession(s rating.Session) pad.OpenResult {
	r.t.Helper()
	res, err := r.p.OpenSession(s)
	if err != nil {
		r.t.Fatalf("OpenSession(%s): %v", s.ID, err)
	}
	return res
}

func (r *rig) press(stars int, want pad.Result) pad.Outcome {
	r.t.Helper()
	out, err := r.p.Press(stars)
	if err != nil {
		r.t.Fatalf("Press(%d): %v", stars, err)
	}
	if out.Result != want {
		r.t.Fatalf("Press(%d) = %s (screen %s), want %s", stars, out.Result, out.Screen, want)
	}
	if out.Screen != r.p.View().Screen {
		r.t.Errorf("Press(%d) says screen %s, View says %s", stars, out.Screen, r.p.View().Screen)
	}
	if (out.Record != nil) != (want == pad.ResultRecorded) {
		r.t.Errorf("Press(%d) = %s with record %v", stars, out.Result, out.Record)
	}
	if out.Record != nil && !r.stored(out.Record.ID) {
		r.t.Errorf("Press(%d) returned record %s, which is not stored", stars, out.Record.ID)
	}
	return out
}

func (r *rig) toggle(codes ...string) {
	r.t.Helper()
	for _, c := range codes {
		if _, err := r.p.ToggleReason(c); err != nil {
			r.t.Fatalf("ToggleReason(%s): %v", c, err)
		}
	}
}

func (r *rig) confirm() pad.Outcome {
	r.t.Helper()
	out, err := r.p.Confirm()
	if err != nil {
		r.t.Fatalf("Confirm: %v", err)
	}
	if out.Result != pad.ResultRecorded || out.Record == nil || out.Screen != pad.ScreenThanks {
		r.t.Fatalf("Confirm = %+v, want recorded with thanks", out)
	}
	return out
}

func (r *rig) selectTarget(pno string) {
	r.t.Helper()
	if _, err := r.p.SelectTarget(pno); err != nil {
		r.t.Fatalf("SelectTarget(%q): %v", pno, err)
	}
}

func (r *rig) screen(want pad.Screen) {
	r.t.Helper()
	if got := r.p.View().Screen; got != want {
		r.t.Fatalf("screen %s, want %s", got, want)
	}
}

// summary is what the tests compare of a record.
type summary struct {
	Kind    rating.Kind
	Session string
	Mode    rating.Mode
	Stars   int
	Reasons []string
	Flags   []string
	Target  string
	Cases   []string // project numbers
}

func summarize(rec rating.Record) summary {
	s := summary{Kind: rec.Kind, Session: rec.SessionID, Mode: rec.Mode, Stars: int(rec.Stars),
		Reasons: slices.Clone(rec.Reasons), Flags: slices.Clone(rec.Flags), Target: rec.Target, Cases: []string{}}
	for _, c := range rec.Cases {
		s.Cases = append(s.Cases, c.ProjectNo)
	}
	if s.Reasons == nil {
		s.Reasons = []string{}
	}
	if s.Flags == nil {
		s.Flags = []string{}
	}
	return s
}

// rated is the summary of a rating of a whole session.
func rated(sess string, mode rating.Mode, stars int, cases ...string) summary {
	return summary{Kind: rating.KindRating, Session: sess, Mode: mode, Stars: stars, Reasons: []string{}, Flags: []string{}, Cases: cases}
}

func (s summary) with(f func(s *summary)) summary { f(&s); return s }

func (r *rig) wantRecords(want ...summary) []rating.Record {
	r.t.Helper()
	recs := r.records()
	got := make([]summary, len(recs))
	for i, rec := range recs {
		got[i] = summarize(rec)
	}
	if want == nil {
		want = []summary{}
	}
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		r.t.Fatalf("records:\n%s\nwant:\n%s", dump(got), dump(want))
	}
	return recs
}

func dump(ss []summary) string {
	var b strings.Builder
	for _, s := range ss {
		j, _ := json.Marshal(s)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// Sessions.

var staff = rating.Staff{ID: "TA0123", Name: "王丽"}

func single(id string) rating.Session {
	return rating.Session{ID: id, Mode: rating.ModeSingle, Staff: staff,
		Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "企业设立登记"}}}
}

func batch(id string) rating.Session {
	return rating.Session{ID: id, Mode: rating.ModeBatch, Staff: staff,
		Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "不动产登记"}, {ProjectNo: pno2, TaskCode: "T1", TaskName: "不动产登记"}, {ProjectNo: pno3, TaskCode: "T1", TaskName: "不动产登记"}}}
}

func theme(id string) rating.Session {
	return rating.Session{ID: id, Mode: rating.ModeTheme, Staff: staff,
		Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "企业设立登记"}, {ProjectNo: pno2, TaskCode: "T2", TaskName: "公章刻制"}, {ProjectNo: pno3, TaskCode: "T3", TaskName: "税务登记"}}}
}

func isErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}
