package pad

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"evalpad/rating"
	"evalpad/store"
)

// Result says what an input did.
type Result string

// Results of an input.
const (
	ResultRecorded  Result = "recorded"   // a record was committed; the screen shows thanks
	ResultReasons   Result = "reasons"    // a 差评: the reasons screen is up
	ResultChanged   Result = "changed"    // the selection changed
	ResultNoSession Result = "no_session" // a press with no open session: counted, no record
	ResultIgnored   Result = "ignored"    // anti-abuse interval or thank-you screen: counted
	ResultPaused    Result = "paused"     // the pad is paused: counted
	ResultFault     Result = "fault"      // the pad is in fault, or the commit failed: no thanks
)

// Outcome is the result of one input and the screen after it.
type Outcome struct {
	Result Result         `json:"result"`
	Screen Screen         `json:"screen"`
	Record *rating.Record `json:"record,omitempty"` // the record committed, if any
}

// Press is a star button (or a touch on a star): 1 to 5.
func (p *Pad) Press(stars int) (Outcome, error) {
	s := rating.Stars(stars)
	if !s.Valid() {
		return Outcome{}, fmt.Errorf("pad: press: %d is not a level 1 to 5", stars)
	}
	p.mu.Lock()
	defer p.unlockNotify()
	now := p.clock.Now()
	p.settle(now)
	out := p.press(s, now)
	p.reschedule()
	out.Screen = p.screen
	return out, nil
}

func (p *Pad) press(s rating.Stars, now time.Time) Outcome {
	switch p.screen {
	case ScreenFault:
		p.counters.WhileFault++
		return Outcome{Result: ResultFault}
	case ScreenPaused:
		p.counters.WhilePaused++
		return Outcome{Result: ResultPaused}
	case ScreenThanks:
		p.counters.Ignored++
		return Outcome{Result: ResultIgnored}
	}
	if !p.lastAt.IsZero() && now.Sub(p.lastAt) < p.set.MinInterval {
		p.counters.Ignored++
		return Outcome{Result: ResultIgnored}
	}
	switch p.screen {
	case ScreenIdle:
		if !p.set.Walkin {
			p.counters.NoSession++
			return Outcome{Result: ResultNoSession}
		}
	case ScreenReasons:
		if p.set.ButtonsOnly {
			return p.navigate(s, now)
		}
		if !s.Good() && s == p.bad.Stars {
			return Outcome{Result: ResultChanged}
		}
	}
	if s.Good() {
		return p.rate(rating.Verdict{Stars: s, Target: p.target}, now)
	}
	// A 差评: ask for reasons. Changing between 1★ and 2★ starts the list anew.
	p.bad = &pending{Stars: s, Reasons: []string{}, Target: p.target, At: now}
	p.focus = 0
	p.screen = ScreenReasons
	p.reasonsBy = now.Add(p.slow(p.set.ReasonsTimeout))
	p.reasonsSlow = p.elder
	p.saveProgress()
	return Outcome{Result: ResultReasons}
}

// navigate is the reasons screen of a pad with buttons only (no touch):
// 2 focuses the previous reason and 1 the next (with the usual button row,
// 5 4 3 2 1, the left one goes back), 3 selects or unselects the focused
// reason, 5 confirms (with at least one chosen); 4 does nothing. Package
// display draws the same convention.
func (p *Pad) navigate(s rating.Stars, now time.Time) Outcome {
	n := len(p.set.Reasons.For(p.bad.Stars))
	switch s {
	case 2:
		p.focus = (p.focus + n - 1) % n
	case 1:
		p.focus = (p.focus + 1) % n
	case 3:
		code := p.set.Reasons.For(p.bad.Stars)[p.focus].Code
		if i := slices.Index(p.bad.Reasons, code); i >= 0 {
			p.bad.Reasons = slices.Delete(p.bad.Reasons, i, i+1)
		} else {
			p.bad.Reasons = append(p.bad.Reasons, code)
		}
		p.saveProgress()
	case 5:
		if len(p.bad.Reasons) > 0 {
			return p.rate(rating.Verdict{Stars: p.bad.Stars, Reasons: slices.Clone(p.bad.Reasons), Target: p.bad.Target}, now)
		}
	}
	return Outcome{Result: ResultChanged}
}

// saveProgress persists the open session with the 差评 being explained, so
// that a restart records it rather than losing the press. A failure is
// logged: the 差评 is still recorded by this process when it goes on.
func (p *Pad) saveProgress() {
	s := p.current()
	s.Pending = p.bad
	if err := p.store.SaveSession(encode(&s)); err != nil {
		p.log.Error("pad: save the 差评 in progress", "err", err)
	}
}

// current is the snapshot of the open session (a walk-in has none).
func (p *Pad) current() snapshot {
	if p.sess == nil {
		return snapshot{}
	}
	return *p.sess
}

// rate commits the verdict on the open session (or a walk-in press).
func (p *Pad) rate(v rating.Verdict, now time.Time) Outcome {
	var sess *rating.Session
	if p.sess != nil {
		sess = p.sess.Session
	}
	rec, err := p.newRecord(sess, p.sess, v, now)
	if err != nil {
		p.enterFault(FaultStoreIO, err, now)
		return Outcome{Result: ResultFault}
	}
	return p.commit(commit{recs: []rating.Record{rec}, snap: p.afterRating(p.sess, v.Target), next: ScreenThanks}, now)
}

// commit writes c; only a commit that landed moves the pad on. One that
// failed is a fault: the records are held (in memory, and in the session
// snapshot when the store still takes that) and tried again.
func (p *Pad) commit(c commit, now time.Time) Outcome {
	recs := make([]*rating.Record, len(c.recs))
	for i := range c.recs {
		recs[i] = &c.recs[i]
	}
	err := p.store.AppendAll(recs, encode(c.snap))
	if err != nil && store.IsDiskFull(err) {
		if n, perr := p.store.PruneAll(); perr == nil && n > 0 {
			p.log.Warn("disk full: dropped acked records before their retention ended", "records", n)
			err = p.store.AppendAll(recs, encode(c.snap))
		}
	}
	if err != nil {
		code := FaultStoreIO
		switch {
		case errors.Is(err, store.ErrOutboxFull):
			code = FaultOutboxFull
		case store.IsDiskFull(err):
			code = FaultDiskFull
		}
		p.retry = &c
		p.enterFault(code, err, now)
		held := snapshot{}
		if c.snap != nil {
			held = *c.snap
		}
		held.Held = c.recs
		if err := p.store.SaveSession(encode(&held)); err != nil {
			p.log.Error("pad: keep the held records in the snapshot", "err", err)
		}
		return Outcome{Result: ResultFault}
	}
	p.landed(c, now)
	rec := c.recs[len(c.recs)-1]
	return Outcome{Result: ResultRecorded, Record: &rec}
}

func (p *Pad) landed(c commit, now time.Time) {
	for _, r := range c.recs {
		p.log.Info("recorded", "id", r.ID, "seq", r.Seq, "kind", r.Kind, "stars", r.Stars, "session", r.SessionID, "flags", r.Flags)
		if r.Kind == rating.KindRating {
			p.last, p.lastAt = &r, now
		}
	}
	p.sess, p.bad = c.snap, nil
	p.target = firstUnrated(p.sess)
	if p.sess != nil {
		p.elder = p.sess.Elder // a theme's next item, or a session restored
	}
	p.screen = c.next
	if c.next == ScreenThanks {
		p.thanksBy = now.Add(p.slow(p.set.ThanksDuration))
	}
	if c.next == ScreenRate && p.sess != nil {
		p.reasonsBy = time.Time{}
	}
}

func (p *Pad) enterFault(code string, err error, now time.Time) {
	p.log.Error("pad: fault", "code", code, "err", err)
	p.fault = &Fault{Code: code, Error: err.Error(), Since: rating.FormatTime(now, p.set.Location)}
	p.screen = ScreenFault
	p.retryAt = now.Add(p.set.FaultRetry)
}

// ToggleReason selects or unselects a reason on the reasons screen.
func (p *Pad) ToggleReason(code string) (Outcome, error) {
	p.mu.Lock()
	defer p.unlockNotify()
	p.settle(p.clock.Now())
	if p.screen != ScreenReasons {
		return Outcome{Screen: p.screen}, fmt.Errorf("%w: reasons are chosen on the reasons screen, this is %s", ErrNotNow, p.screen)
	}
	if !p.set.Reasons.Has(p.bad.Stars, code) {
		return Outcome{Screen: p.screen}, fmt.Errorf("%w: %q is not a reason for %d★", rating.ErrUnknownReason, code, p.bad.Stars)
	}
	if i := slices.Index(p.bad.Reasons, code); i >= 0 {
		p.bad.Reasons = slices.Delete(p.bad.Reasons, i, i+1)
	} else {
		p.bad.Reasons = append(p.bad.Reasons, code)
	}
	p.saveProgress()
	return Outcome{Result: ResultChanged, Screen: p.screen}, nil
}

// Confirm records the 差评 with the reasons chosen (at least one).
func (p *Pad) Confirm() (Outcome, error) {
	return p.SubmitReasons(nil)
}

// SubmitReasons selects exactly codes (nil keeps the current choice) and
// confirms. Invalid codes change nothing.
func (p *Pad) SubmitReasons(codes []string) (Outcome, error) {
	p.mu.Lock()
	defer p.unlockNotify()
	now := p.clock.Now()
	p.settle(now)
	if p.screen != ScreenReasons {
		return Outcome{Screen: p.screen}, fmt.Errorf("%w: there is no 差评 to confirm on the %s screen", ErrNotNow, p.screen)
	}
	if codes != nil {
		if err := p.set.Reasons.Check(p.bad.Stars, codes); err != nil {
			return Outcome{Screen: p.screen}, err
		}
	} else {
		codes = p.bad.Reasons
	}
	if len(codes) == 0 {
		return Outcome{Screen: p.screen}, ErrNoReason
	}
	out := p.rate(rating.Verdict{Stars: p.bad.Stars, Reasons: slices.Clone(codes), Target: p.bad.Target}, now)
	p.reschedule()
	out.Screen = p.screen
	return out, nil
}

// SelectTarget picks the theme item the next press rates on its own ("" =
// the whole theme, only while no item has been rated on its own).
func (p *Pad) SelectTarget(projectNo string) (Outcome, error) {
	p.mu.Lock()
	defer p.unlockNotify()
	p.settle(p.clock.Now())
	if p.screen != ScreenRate || p.sess == nil || p.sess.Session.Mode != rating.ModeTheme {
		return Outcome{Screen: p.screen}, fmt.Errorf("%w: items are chosen on the rate screen of a theme session", ErrNotNow)
	}
	if projectNo == "" {
		if len(p.sess.Rated) > 0 {
			return Outcome{Screen: p.screen}, fmt.Errorf("%w: items already rated one by one; rate the rest one by one", ErrUnknownTarget)
		}
	} else if !slices.ContainsFunc(remaining(p.sess), func(c rating.Case) bool { return c.ProjectNo == projectNo }) {
		return Outcome{Screen: p.screen}, fmt.Errorf("%w: %q", ErrUnknownTarget, projectNo)
	}
	p.target = projectNo
	return Outcome{Result: ResultChanged, Screen: p.screen}, nil
}

// OpenResult tells what OpenSession did.
type OpenResult struct {
	SessionID string          `json:"session_id"`
	Already   bool            `json:"already_open,omitempty"` // the same session was open: nothing changed
	Closed    []rating.Record `json:"closed,omitempty"`       // the records that closed the session it replaced
	Screen    Screen          `json:"screen"`
}

// OpenSession opens s for rating. A session already waiting is closed first:
// unrated (flag replaced), or, if its 差评 was being explained, recorded with
// the reasons chosen so far (flag interrupted) — and for a theme item, the
// items not rated unrated. Closing records and the new session are one commit.
func (p *Pad) OpenSession(s rating.Session) (OpenResult, error) {
	if err := s.Validate(); err != nil {
		return OpenResult{}, err
	}
	s.Staff.Photo = "" // the photo goes to the screen, not into the store
	p.mu.Lock()
	defer p.unlockNotify()
	now := p.clock.Now()
	p.settle(now)
	res := OpenResult{SessionID: s.ID}
	switch {
	case p.screen == ScreenFault:
		return res, fmt.Errorf("%w %s: %s", ErrFault, p.fault.Code, p.fault.Error)
	case p.screen == ScreenPaused:
		return res, ErrPaused
	case p.sess != nil && p.sess.Session != nil && p.sess.Session.ID == s.ID:
		res.Already, res.Screen = true, p.screen
		return res, nil
	case p.store.SessionClosed(s.ID):
		return res, fmt.Errorf("%w: %s", ErrSessionClosed, s.ID)
	}
	next := &snapshot{Session: &s, OpenedAt: now}
	var closing []rating.Record
	old := p.sess
	if p.screen == ScreenReasons {
		v := rating.Verdict{Stars: p.bad.Stars, Reasons: p.bad.Reasons, Target: p.bad.Target, Flags: []string{rating.FlagInterrupted}}
		rec, err := p.closingRecord(v, now)
		if err != nil {
			return res, err
		}
		closing = append(closing, rec)
		// One item of a theme was being rated: the items not rated close too.
		old = p.afterRating(p.sess, p.bad.Target)
	}
	if old != nil && old.Session != nil {
		rec, err := p.newRecord(old.Session, old, rating.Verdict{Flags: []string{rating.FlagReplaced}}, now)
		if err != nil {
			return res, err
		}
		closing = append(closing, rec)
	}
	if len(closing) == 0 {
		if err := p.store.SaveSession(encode(next)); err != nil {
			return res, fmt.Errorf("pad: open session: %w", err)
		}
		p.sess, p.bad, p.target, p.screen = next, nil, "", ScreenRate
	} else {
		// The closing records and the new session land together, or none.
		c := commit{recs: closing, snap: next, next: ScreenRate}
		if out := p.commit(c, now); out.Result != ResultRecorded {
			p.reschedule() // arm the fault retry
			return res, fmt.Errorf("%w %s: %s", ErrFault, p.fault.Code, p.fault.Error)
		}
		res.Closed = c.recs // as stored, with their seq
	}
	p.elder = false // the next citizen chooses again
	p.log.Info("session opened", "session", s.ID, "mode", s.Mode, "cases", len(s.Cases))
	p.reschedule()
	res.Screen = p.screen
	return res, nil
}

// closingRecord is the record that closes the waiting session (or walk-in 差评).
func (p *Pad) closingRecord(v rating.Verdict, now time.Time) (rating.Record, error) {
	var sess *rating.Session
	if p.sess != nil {
		sess = p.sess.Session
	}
	return p.newRecord(sess, p.sess, v, now)
}

// Pause shows 暂停服务. Not while a session waits: staff may not keep a
// citizen from rating. The pause is stored: a restart comes back paused.
func (p *Pad) Pause() error {
	p.mu.Lock()
	defer p.unlockNotify()
	p.settle(p.clock.Now())
	switch p.screen {
	case ScreenPaused:
		return nil
	case ScreenIdle, ScreenThanks:
		if p.sess != nil {
			return ErrSessionOpen
		}
		if err := p.store.SaveSession(encode(&snapshot{Paused: true})); err != nil {
			return fmt.Errorf("pad: pause: %w", err)
		}
		p.screen = ScreenPaused
		p.reschedule()
		return nil
	case ScreenFault:
		return fmt.Errorf("%w %s", ErrFault, p.fault.Code)
	}
	return ErrSessionOpen
}

// Resume leaves 暂停服务.
func (p *Pad) Resume() error {
	p.mu.Lock()
	defer p.unlockNotify()
	if p.screen != ScreenPaused {
		return nil
	}
	if err := p.store.SaveSession(nil); err != nil {
		return fmt.Errorf("pad: resume: %w", err)
	}
	p.screen = ScreenIdle
	return nil
}

// settle applies every deadline due by now: reasons timeout, session timeout,
// end of thanks, fault retry. Called under mu before each input and by the timer.
func (p *Pad) settle(now time.Time) {
	if p.message != "" && !now.Before(p.messageBy) {
		p.message, p.messageBy = "", time.Time{}
	}
	for range 4 { // each step moves to a later state; a few suffice
		switch {
		case p.screen == ScreenReasons && !now.Before(p.reasonsBy):
			p.rate(rating.Verdict{Stars: p.bad.Stars, Reasons: slices.Clone(p.bad.Reasons), Target: p.bad.Target,
				Flags: []string{rating.FlagReasonsTimeout}}, p.reasonsBy)
		case p.screen == ScreenRate && p.sess != nil && !now.Before(p.sessionBy()):
			rec, err := p.closingRecord(rating.Verdict{Flags: []string{rating.FlagSessionTimeout}}, p.sessionBy())
			if err != nil {
				p.enterFault(FaultStoreIO, err, now)
				return
			}
			p.commit(commit{recs: []rating.Record{rec}, snap: nil, next: ScreenIdle}, now)
		case p.screen == ScreenThanks && !now.Before(p.thanksBy):
			p.screen = ScreenIdle
			if p.sess != nil {
				p.screen = ScreenRate
			}
		case p.screen == ScreenFault && p.retry != nil && !now.Before(p.retryAt):
			c := *p.retry
			p.retry = nil
			p.fault = nil
			if out := p.commit(c, now); out.Result == ResultRecorded {
				p.log.Info("fault cleared: the held records are stored", "records", len(c.recs))
			}
		default:
			return
		}
	}
}

// sessionBy is when the open session becomes unrated: twice the timeout
// once elder mode was chosen in it (SetElder).
func (p *Pad) sessionBy() time.Time {
	d := p.set.SessionTimeout
	if p.sess.Slow {
		d *= 2
	}
	return p.sess.OpenedAt.Add(d)
}

// nextDeadline is the earliest time settle has work, zero if none.
func (p *Pad) nextDeadline() time.Time {
	at := p.screenDeadline()
	if p.message != "" && (at.IsZero() || p.messageBy.Before(at)) {
		at = p.messageBy
	}
	return at
}

// screenDeadline is when the current screen's rule is due, zero if none.
func (p *Pad) screenDeadline() time.Time {
	switch {
	case p.screen == ScreenReasons:
		return p.reasonsBy
	case p.screen == ScreenRate && p.sess != nil:
		return p.sessionBy()
	case p.screen == ScreenThanks:
		return p.thanksBy
	case p.screen == ScreenFault && p.retry != nil:
		return p.retryAt
	}
	return time.Time{}
}

// reschedule arms one timer for the next deadline. Idle arms nothing, so an
// idle pad wakes no CPU.
func (p *Pad) reschedule() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.timerGen++
	at := p.nextDeadline()
	if at.IsZero() || p.closed {
		return
	}
	gen := p.timerGen
	p.timer = p.clock.AfterFunc(max(at.Sub(p.clock.Now()), 0), func() {
		p.mu.Lock()
		defer p.unlockNotify()
		if gen != p.timerGen || p.closed {
			return
		}
		p.settle(p.clock.Now())
		p.reschedule()
	})
}

// SetElder is the citizen choosing elder mode (适老化) on the screen, or
// leaving it: the screens show it (View.Elder) and the reasons screen's
// timeout, the thank-you's duration and the open session's timeout double,
// until the next session opens. A reasons screen or session already
// running gets the extra time at once; leaving elder mode does not shorten
// it. The choice is saved with the open session, so a restart comes back
// in it with the same deadline. In fault it changes nothing (no rate
// screen shows, and the snapshot holds what the fault kept).
func (p *Pad) SetElder(on bool) {
	p.mu.Lock()
	defer p.unlockNotify()
	now := p.clock.Now()
	p.settle(now)
	if p.screen == ScreenFault {
		return
	}
	if on && !p.reasonsSlow && p.screen == ScreenReasons { // once: 大字, 标准字, 大字 adds it once
		p.reasonsBy = p.reasonsBy.Add(p.set.ReasonsTimeout)
		p.reasonsSlow = true
	}
	p.elder = on
	if p.sess != nil && p.sess.Session != nil && (p.sess.Elder != on || on && !p.sess.Slow) {
		n := *p.sess // copied: a commit may hold the snapshot it replaces
		n.Elder = on
		n.Slow = n.Slow || on
		p.sess = &n
		p.saveProgress()
	}
	p.reschedule()
}

// slow is d, doubled in elder mode.
func (p *Pad) slow(d time.Duration) time.Duration {
	if p.elder {
		return 2 * d
	}
	return d
}
