package pad

import (
	"slices"

	"evalpad/rating"
)

// View is everything a screen or a status report shows of the pad. It is a
// copy: holding it holds no lock.
type View struct {
	// Version numbers the views in the order the pad made them: a view with
	// a lower version than one already shown is stale (listeners run outside
	// the pad's lock, so two changes may reach a listener out of order).
	Version     uint64             `json:"version"`
	Screen      Screen             `json:"screen"`
	Session     *SessionView       `json:"session"`
	Stars       int                `json:"stars,omitempty"` // the level being explained (reasons screen)
	Offered     []rating.Reason    `json:"reasons_offered,omitempty"`
	Selected    []string           `json:"reasons_selected,omitempty"`
	Focus       int                `json:"reasons_focus"` // buttons only: index of the focused reason; -1 with touch
	ButtonsOnly bool               `json:"buttons_only"`
	Elder       bool               `json:"elder"` // the citizen chose elder mode (SetElder) for this session
	Walkin      bool               `json:"walkin"`
	OnDuty      rating.RecordStaff `json:"on_duty"`
	Fault       *Fault             `json:"fault,omitempty"`
	Counters    Counters           `json:"counters"`
	Last        *RecordView        `json:"last_record,omitempty"`
	Message     string             `json:"message,omitempty"` // a notice from the central, shown on the screen
}

// SessionView is the open session as shown: never the applicant.
type SessionView struct {
	ID       string             `json:"session_id"`
	Mode     rating.Mode        `json:"mode"`
	Staff    rating.RecordStaff `json:"staff"`
	Cases    []rating.Case      `json:"cases"`
	Rated    []string           `json:"rated"`  // theme items already rated one by one
	Target   string             `json:"target"` // theme item the next press rates; "" = all
	OpenedAt string             `json:"opened_at"`
	Deadline string             `json:"deadline"` // when it becomes unrated
}

// RecordView is the last rating, for the thank-you screen and the status.
type RecordView struct {
	ID    string       `json:"id"`
	Seq   uint64       `json:"seq"`
	Stars rating.Stars `json:"stars"`
	At    string       `json:"at"`
}

// View returns the current state.
func (p *Pad) View() View {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view()
}

func (p *Pad) view() View {
	v := View{Version: p.version, Screen: p.screen, Walkin: p.set.Walkin, Counters: p.counters, Focus: -1, ButtonsOnly: p.set.ButtonsOnly,
		OnDuty: rating.RecordStaff{ID: p.set.OnDuty.ID, Name: p.set.OnDuty.Name}}
	if p.sess != nil && p.sess.Session != nil {
		s := p.sess.Session
		v.Session = &SessionView{ID: s.ID, Mode: s.Mode, Staff: rating.RecordStaff{ID: s.Staff.ID, Name: s.Staff.Name},
			Cases: slices.Clone(s.Cases), Rated: append([]string{}, p.sess.Rated...), Target: p.target,
			OpenedAt: rating.FormatTime(p.sess.OpenedAt, p.set.Location),
			Deadline: rating.FormatTime(p.sessionBy(), p.set.Location)}
	}
	if p.screen == ScreenReasons {
		v.Stars = int(p.bad.Stars)
		v.Offered = slices.Clone(p.set.Reasons.For(p.bad.Stars))
		v.Selected = append([]string{}, p.bad.Reasons...)
		if p.set.ButtonsOnly {
			v.Focus = p.focus
		}
	}
	if p.fault != nil {
		f := *p.fault
		v.Fault = &f
	}
	v.Message = p.message
	v.Elder = p.elder
	if p.last != nil {
		v.Last = &RecordView{ID: p.last.ID, Seq: p.last.Seq, Stars: p.last.Stars, At: p.last.At}
	}
	return v
}

// Subscribe calls fn with the new View after every input or timeout that
// may have changed it, in the goroutine that made the change, outside the
// pad's lock. fn must not block for long. The returned func unsubscribes.
func (p *Pad) Subscribe(fn func(View)) (cancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.nextL
	p.nextL++
	p.listeners[id] = fn
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.listeners, id)
	}
}

// unlockNotify counts a change, releases mu and tells the subscribers.
func (p *Pad) unlockNotify() {
	p.version++
	if len(p.listeners) == 0 {
		p.mu.Unlock()
		return
	}
	v := p.view()
	fns := make([]func(View), 0, len(p.listeners))
	for _, fn := range p.listeners {
		fns = append(fns, fn)
	}
	p.mu.Unlock()
	for _, fn := range fns {
		fn(v)
	}
}
