package pad

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"evalpad/rating"
)

// Screen is what the panel shows.
type Screen string

// The screens.
const (
	ScreenIdle    Screen = "idle"
	ScreenRate    Screen = "rate"
	ScreenReasons Screen = "reasons"
	ScreenThanks  Screen = "thanks"
	ScreenPaused  Screen = "paused"
	ScreenFault   Screen = "fault"
)

// Sentinel errors of the pad's API. The local API maps them to HTTP codes.
var (
	// ErrPaused: the pad is paused (暂停服务); no session can be opened.
	ErrPaused = errors.New("pad: paused")
	// ErrFault: the pad is in a fault state and takes no new sessions.
	ErrFault = errors.New("pad: fault")
	// ErrSessionClosed: the session was already rated or expired (一次一评).
	ErrSessionClosed = errors.New("pad: session already closed")
	// ErrSessionOpen: the action needs no session to be waiting.
	ErrSessionOpen = errors.New("pad: a session is waiting for its rating")
	// ErrNotNow: the action does not apply to the current screen.
	ErrNotNow = errors.New("pad: not on this screen")
	// ErrNoReason: a 差评 is confirmed with no reason chosen.
	ErrNoReason = errors.New("pad: choose at least one reason")
	// ErrUnknownTarget: a theme item that is not in the session, or already rated.
	ErrUnknownTarget = errors.New("pad: no such item to rate")
)

// Store is what the pad needs of its storage (package store implements it).
type Store interface {
	// AppendAll durably writes recs in order (assigning each Seq) and sets
	// the open-session snapshot to session (nil clears it), atomically. On
	// error nothing was written.
	AppendAll(recs []*rating.Record, session []byte) error
	// SaveSession durably sets the open-session snapshot (nil clears it).
	SaveSession(session []byte) error
	// Session returns the snapshot saved last, nil if none.
	Session() ([]byte, error)
	// SessionClosed reports whether a record already names the session id.
	SessionClosed(id string) bool
	// PruneAll drops every acked record (to make room on a full disk).
	PruneAll() (int, error)
}

// Settings are the pad's rules and identity (from config).
type Settings struct {
	Origin         rating.Origin
	Location       *time.Location
	OnDuty         rating.Staff // staff on duty when no session names one (walk-in)
	Reasons        rating.Reasons
	SessionTimeout time.Duration
	ReasonsTimeout time.Duration
	ThanksDuration time.Duration
	MinInterval    time.Duration
	Walkin         bool
	// ButtonsOnly: the pad has star buttons and no touch screen; on the
	// reasons screen the buttons move, select and confirm (see navigate).
	ButtonsOnly bool
	// FaultRetry is how often a failed commit is tried again. Default 10s.
	FaultRetry time.Duration
}

// Counters count presses that made no record.
type Counters struct {
	NoSession   int `json:"no_session"`   // no open session, walk-in off
	Ignored     int `json:"ignored"`      // within the anti-abuse interval, or on the thank-you screen
	WhilePaused int `json:"while_paused"` // pad paused
	WhileFault  int `json:"while_fault"`  // pad in fault
}

// Fault is why the pad cannot take ratings now. Codes are for technicians
// (README lists them).
type Fault struct {
	Code  string `json:"code"`
	Error string `json:"error"`
	Since string `json:"since"`
}

// Fault codes.
const (
	FaultOutboxFull = "E10" // outbox full: the central has not acked for too long
	FaultDiskFull   = "E11" // no space left for the store
	FaultStoreIO    = "E12" // the store cannot be written
)

// pending is a 差评 pressed and not yet confirmed.
type pending struct {
	Stars   rating.Stars `json:"stars"`
	Reasons []string     `json:"reasons"`
	Target  string       `json:"target,omitempty"`
	At      time.Time    `json:"at"`
}

// snapshot is what the store keeps of the open session, so a restart neither
// forgets a session nor loses a 差评 being explained.
type snapshot struct {
	Session  *rating.Session `json:"session,omitempty"`
	OpenedAt time.Time       `json:"opened_at"`
	Rated    []string        `json:"rated,omitempty"`
	Pending  *pending        `json:"pending,omitempty"`
	// Held are records a fault kept from the outbox (a full outbox): no
	// thank-you was shown for them, and a restart writes them first.
	Held []rating.Record `json:"held,omitempty"`
	// Paused: the pad shows 暂停服务 (only ever with no session open), and
	// a restart comes back paused.
	Paused bool `json:"paused,omitempty"`
	// Elder: the citizen chose elder mode (大字) in this session and has
	// not left it; a restart comes back in it. A snapshot saved before
	// this field loads as not elder.
	Elder bool `json:"elder,omitempty"`
	// Slow: elder mode was chosen in this session, so its timeout is
	// doubled (leaving elder mode does not shorten it again).
	Slow bool `json:"slow,omitempty"`
}

// commit is records waiting to be written together, and what follows once
// they are. The last record is the one the citizen made (if any).
type commit struct {
	recs []rating.Record
	snap *snapshot // open-session snapshot after the commit; nil clears
	next Screen    // screen after the commit: thanks, or rate for a new session
}

// Pad is the state machine. Its methods are safe for concurrent use.
type Pad struct {
	set   Settings
	store Store
	clock Clock
	rnd   io.Reader
	log   *slog.Logger

	mu          sync.Mutex
	screen      Screen
	sess        *snapshot // open session; nil when none (a walk-in 差评 has Session nil)
	target      string    // theme: project_no selected to rate on its own
	bad         *pending  // on the reasons screen
	focus       int       // reasons screen, buttons only: the focused reason
	elder       bool      // the citizen chose elder mode: reasons and thanks last twice as long (sess.Elder while a session is open)
	reasonsBy   time.Time
	reasonsSlow bool // reasonsBy already has elder mode's extra time (set once per reasons screen)
	thanksBy    time.Time
	lastAt      time.Time // last rating committed (anti-abuse)
	last        *rating.Record
	message     string // a notice from the central, shown until messageBy
	messageBy   time.Time
	fault       *Fault
	retry       *commit
	retryAt     time.Time
	counters    Counters

	timer     Timer
	timerGen  uint64
	version   uint64 // of the view: one more at every change told to listeners
	listeners map[int]func(View)
	nextL     int
	closed    bool
}

// New builds a pad over store, restoring an open session from its snapshot.
// A 差评 that was being explained when the pad stopped is recorded now with
// the reasons chosen by then (flag recovered).
func New(set Settings, st Store, clock Clock, rnd io.Reader, log *slog.Logger) (*Pad, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if set.Location == nil {
		set.Location = time.UTC
	}
	if set.FaultRetry <= 0 {
		set.FaultRetry = 10 * time.Second
	}
	if err := set.Reasons.Validate(); err != nil {
		return nil, fmt.Errorf("pad: %w", err)
	}
	p := &Pad{set: set, store: st, clock: clock, rnd: rnd, log: log, screen: ScreenIdle, listeners: map[int]func(View){}}
	raw, err := st.Session()
	if err != nil {
		return nil, fmt.Errorf("pad: restore: %w", err)
	}
	if raw != nil {
		var s snapshot
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("pad: restore: bad session snapshot: %w", err)
		}
		if err := p.restore(s); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	p.settle(p.clock.Now())
	p.mu.Unlock()
	return p, nil
}

func (p *Pad) restore(s snapshot) error {
	now := p.clock.Now()
	var invalid []string // flags of the records that close a session the rules refuse now
	if s.Session != nil {
		if err := s.Session.Validate(); err != nil {
			// Saved before an update whose rules it breaks: it cannot be
			// opened again, and stopping the start would stop every rating.
			// Close it (its 差评 being explained is still recorded).
			p.log.Warn("pad: the saved session no longer passes the rules: closed", "session", s.Session.ID, "err", err)
			invalid = []string{rating.FlagInvalidSession}
		}
	}
	recs := s.Held // records a fault held when the pad stopped
	s.Held = nil
	open := &s
	if s.Session == nil {
		open = nil
	}
	after := open
	if s.Pending != nil {
		b := *s.Pending
		s.Pending = nil
		rec, err := p.newRecord(s.Session, &s, rating.Verdict{Stars: b.Stars, Reasons: b.Reasons, Target: b.Target,
			Flags: append([]string{rating.FlagRecovered}, invalid...)}, b.At)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		after = p.afterRating(open, b.Target)
	}
	if invalid != nil && after != nil {
		rec, err := p.newRecord(after.Session, after, rating.Verdict{Flags: invalid}, now)
		if err != nil {
			return err
		}
		recs, after = append(recs, rec), nil
	}
	if len(recs) > 0 {
		next := ScreenIdle
		if after != nil {
			next = ScreenRate
		}
		// Like any commit: one that fails (a full outbox) is a fault, held
		// and retried, rather than a pad that cannot start.
		if out := p.commit(commit{recs: recs, snap: after, next: next}, now); out.Result == ResultRecorded {
			p.log.Info("recorded at restart what was pending", "records", len(recs))
		}
		return nil
	}
	switch {
	case s.Session != nil:
		p.sess = &s
		p.screen = ScreenRate
		p.target = firstUnrated(&s)
		p.elder = s.Elder
	case s.Paused:
		p.screen = ScreenPaused
	}
	return nil
}

// Reconfigure applies new settings live (a config the central sent): the
// rules, texts and identity change from the next input or deadline on; an
// open session keeps its opening time and gets the new timeout.
func (p *Pad) Reconfigure(set Settings) error {
	if err := set.Reasons.Validate(); err != nil {
		return fmt.Errorf("pad: %w", err)
	}
	if set.Location == nil {
		set.Location = time.UTC
	}
	if set.FaultRetry <= 0 {
		set.FaultRetry = 10 * time.Second
	}
	p.mu.Lock()
	defer p.unlockNotify()
	p.set = set
	if p.bad != nil && p.focus >= len(set.Reasons.For(p.bad.Stars)) {
		p.focus = 0
	}
	p.reschedule()
	return nil
}

// DefaultMessageTime is how long ShowMessage shows a notice given no time.
const DefaultMessageTime = 5 * time.Minute

// ShowMessage shows a notice (from the central) on the screen for d (0 =
// DefaultMessageTime); "" takes a notice down. It does not change the
// screen or any rule: a citizen rates as before.
func (p *Pad) ShowMessage(text string, d time.Duration) {
	if d <= 0 {
		d = DefaultMessageTime
	}
	p.mu.Lock()
	defer p.unlockNotify()
	p.message, p.messageBy = text, p.clock.Now().Add(d)
	if text == "" {
		p.messageBy = time.Time{}
	}
	p.reschedule()
}

// Start arms the timers (session and reasons timeouts, fault retry).
func (p *Pad) Start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reschedule()
}

// Close stops the timers. Calls after Close still work but arm nothing.
func (p *Pad) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
}

func encode(s *snapshot) []byte {
	if s == nil {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("pad: snapshot does not marshal: %v", err)) // plain data: cannot happen
	}
	return b
}

func firstUnrated(s *snapshot) string {
	if s == nil || s.Session == nil || len(s.Rated) == 0 {
		return ""
	}
	for _, c := range s.Session.Cases {
		if !slices.Contains(s.Rated, c.ProjectNo) {
			return c.ProjectNo
		}
	}
	return ""
}

// remaining lists the cases of s not yet rated one by one.
func remaining(s *snapshot) []rating.Case {
	var out []rating.Case
	for _, c := range s.Session.Cases {
		if !slices.Contains(s.Rated, c.ProjectNo) {
			out = append(out, c)
		}
	}
	return out
}

// afterRating is the snapshot after a rating of target ("" = all): nil when
// the session is done, or the theme session with target marked rated.
func (p *Pad) afterRating(s *snapshot, target string) *snapshot {
	if s == nil || s.Session == nil || target == "" {
		return nil
	}
	n := *s
	n.Pending = nil
	n.Rated = append(slices.Clone(s.Rated), target)
	if len(n.Rated) >= len(s.Session.Cases) {
		return nil
	}
	return &n
}

func (p *Pad) newRecord(sess *rating.Session, s *snapshot, v rating.Verdict, at time.Time) (rating.Record, error) {
	id, err := newUUIDv7(at, p.rnd)
	if err != nil {
		return rating.Record{}, err
	}
	var cases []rating.Case
	opened := ""
	if sess != nil {
		opened = rating.FormatTime(s.OpenedAt, p.set.Location)
		switch {
		case v.Target != "":
			for _, c := range sess.Cases {
				if c.ProjectNo == v.Target {
					cases = []rating.Case{c}
				}
			}
		default:
			cases = remaining(s)
		}
	}
	return rating.NewRecord(id, p.set.Origin, sess, p.set.OnDuty, cases, v, opened, rating.FormatTime(at, p.set.Location)), nil
}
