package voice

import (
	"sync"

	"evalpad/pad"
)

// Cues turns the pad's views, in order, into the keys to speak: the
// prompt when a session opens, the thanks when a new record shows its
// thank-you (the pad commits before it shows it), and on a buttons-only
// pad the reasons' title on entering the reasons screen and each reason
// as the focus reaches it. Safe for concurrent use; views older than one
// already seen are dropped (listeners may get them out of order).
type Cues struct {
	mu   sync.Mutex
	last pad.View
	seen bool
}

// Next returns the keys v calls for, nil for none.
func (c *Cues) Next(v pad.View) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen && v.Version <= c.last.Version {
		return nil
	}
	last, first := c.last, !c.seen
	c.last, c.seen = v, true
	if first {
		return nil // the pad as it was at start: nothing happened
	}
	var keys []string
	if v.Session != nil && v.Screen == pad.ScreenRate && (last.Session == nil || last.Session.ID != v.Session.ID) {
		keys = append(keys, KeyPrompt)
	}
	if v.Screen == pad.ScreenThanks && v.Last != nil && (last.Last == nil || last.Last.ID != v.Last.ID) {
		keys = append(keys, KeyThanks)
	}
	if v.Screen == pad.ScreenReasons && v.ButtonsOnly && v.Focus >= 0 && v.Focus < len(v.Offered) {
		if last.Screen != pad.ScreenReasons {
			keys = append(keys, KeyReasons, ReasonKey(v.Offered[v.Focus].Code))
		} else if last.Focus != v.Focus {
			keys = append(keys, ReasonKey(v.Offered[v.Focus].Code))
		}
	}
	return keys
}

// ReadOut is what reading the reasons screen of v out says: the title,
// then every reason offered in order; nil off the reasons screen.
func ReadOut(v pad.View) []string {
	if v.Screen != pad.ScreenReasons {
		return nil
	}
	keys := []string{KeyReasons}
	for _, r := range v.Offered {
		keys = append(keys, ReasonKey(r.Code))
	}
	return keys
}
