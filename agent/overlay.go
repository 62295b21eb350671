package agent

import (
	"time"

	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"evalpad/agent/config"
	"evalpad/agent/screen"
	"evalpad/pad"
	"evalpad/rating"
	"evalpad/sync/protocol"
)

// ErrBelowFloor: a config from the central would lower the floor the
// pad's config file sets (walk-in, min_interval).
var ErrBelowFloor = errors.New("agent: below the config file's floor")

// centralConfigKey is where the store keeps what the central's down/config
// messages set, accumulated: it wins over the config file at every start.
const centralConfigKey = "central_config"

// overlay lays what the central set (c, accumulated) over the file's config
// and validates the result. It is the only place that knows which config
// fields the central sets: the live apply and every start both call it with
// the same accumulated message, so a field cannot apply live and be lost at
// the next start.
//
// The file's config is a floor the central cannot lower: with walk-in off
// in the file, walk-in stays off; rules.min_interval stays at least the
// file's. (applyCentral refuses a message that tries, belowFloor; here a
// stored message meets a file made stricter since.)
func overlay(file config.Config, c protocol.Config) (config.Config, error) {
	out := file
	if c.Hall != nil {
		out.Hall = *c.Hall
	}
	if c.Window != nil {
		out.Window = *c.Window
	}
	if c.Staff != nil {
		out.Staff.ID, out.Staff.Name = c.Staff.ID, c.Staff.Name
	}
	if c.Reasons != nil { // both levels: protocol.Config validates them whole
		out.Reasons = rating.Reasons{One: c.Reasons.One, Two: c.Reasons.Two}
	}
	if len(c.Texts) > 0 {
		out.Texts = maps.Clone(file.Texts)
		if out.Texts == nil {
			out.Texts = map[string]string{}
		}
		maps.Copy(out.Texts, c.Texts)
	}
	if r := c.Rules; r != nil {
		for _, d := range []struct {
			from *protocol.Duration
			to   *config.Duration
		}{{r.SessionTimeout, &out.Rules.SessionTimeout}, {r.ReasonsTimeout, &out.Rules.ReasonsTimeout},
			{r.ThanksDuration, &out.Rules.ThanksDuration}, {r.MinInterval, &out.Rules.MinInterval}} {
			if d.from != nil {
				d.to.Duration = d.from.Duration
			}
		}
		if r.Walkin != nil {
			out.Rules.Walkin = *r.Walkin
		}
	}
	// The floor: what the file forbids, the central cannot allow.
	out.Rules.Walkin = out.Rules.Walkin && file.Rules.Walkin
	out.Rules.MinInterval.Duration = max(out.Rules.MinInterval.Duration, file.Rules.MinInterval.Duration)
	if err := out.Validate(); err != nil {
		return file, fmt.Errorf("config from the central: %w", err)
	}
	return out, nil
}

// belowFloor says what in c the file's config forbids the central to set:
// walk-in on when the file has it off, a min_interval below the file's. ""
// when nothing.
func belowFloor(file config.Config, c protocol.Config) string {
	var out []string
	if r := c.Rules; r != nil {
		if r.Walkin != nil && *r.Walkin && !file.Rules.Walkin {
			out = append(out, "rules.walkin: the pad's config file has walk-in off; the central cannot turn it on")
		}
		if r.MinInterval != nil && r.MinInterval.Duration < file.Rules.MinInterval.Duration {
			out = append(out, fmt.Sprintf("rules.min_interval: %v is below the pad's config file's %v; the central cannot lower it",
				r.MinInterval.Duration, file.Rules.MinInterval.Duration))
		}
	}
	return strings.Join(out, "; ")
}

// accumulate adds what c sets to what the central set so far, as a JSON
// merge patch (RFC 7386) of the two messages: a field c sets replaces the
// same field, objects (rules, texts) merge key by key. It knows no field by
// name, so a field added to protocol.Config accumulates without a change
// here. The id is dropped: it answered one message.
func accumulate(acc, c protocol.Config) (protocol.Config, error) {
	var a, b map[string]any
	if err := json.Unmarshal(acc.Marshal(), &a); err != nil {
		return acc, fmt.Errorf("agent: accumulate the central's config: %w", err)
	}
	if err := json.Unmarshal(c.Marshal(), &b); err != nil {
		return acc, fmt.Errorf("agent: accumulate the central's config: %w", err)
	}
	merged, err := json.Marshal(mergePatch(a, b))
	if err != nil {
		return acc, fmt.Errorf("agent: accumulate the central's config: %w", err)
	}
	out, err := protocol.ParseConfig(merged)
	if err != nil {
		return acc, fmt.Errorf("agent: accumulate the central's config: %w", err)
	}
	out.ID = ""
	return out, nil
}

// mergePatch applies patch to target (both decoded JSON objects): a key of
// patch replaces target's, recursively for objects. protocol.Config has no
// null fields, so null never deletes here.
func mergePatch(target, patch map[string]any) map[string]any {
	if target == nil {
		target = map[string]any{}
	}
	for k, pv := range patch {
		po, pIsObj := pv.(map[string]any)
		to, tIsObj := target[k].(map[string]any)
		if pIsObj && tIsObj {
			target[k] = mergePatch(to, po)
			continue
		}
		target[k] = pv
	}
	return target
}

// settings are the pad's rules and identity from cfg.
func settings(cfg config.Config) (pad.Settings, error) {
	loc, err := cfg.Location()
	if err != nil {
		return pad.Settings{}, err
	}
	slow := time.Duration(1)
	if cfg.Display.Elder {
		slow = 2 // elder mode: twice the time to choose, to read and to rate at all
	}
	return pad.Settings{
		Origin:   rating.Origin{DeviceID: cfg.DeviceID, AreaCode: cfg.AreaCode, Hall: cfg.Hall, Window: cfg.Window, Channel: cfg.Channel},
		Location: loc,
		OnDuty:   rating.Staff{ID: cfg.Staff.ID, Name: cfg.Staff.Name},
		Reasons:  cfg.Reasons,

		SessionTimeout: slow * cfg.Rules.SessionTimeout.Duration,
		ReasonsTimeout: slow * cfg.Rules.ReasonsTimeout.Duration,
		ThanksDuration: slow * cfg.Rules.ThanksDuration.Duration,
		MinInterval:    cfg.Rules.MinInterval.Duration,
		Walkin:         cfg.Rules.Walkin,
		ButtonsOnly:    cfg.Display.ButtonsOnly,
	}, nil
}

// loadCentral reads what the central set earlier and lays it over the
// file's config. A stored message that no longer applies (an update made
// the rules stricter) is logged and left aside: the file's config runs.
func (a *Agent) loadCentral() error {
	raw, err := a.store.State(centralConfigKey)
	if err != nil || raw == nil {
		return err
	}
	c, err := protocol.ParseConfig(raw)
	var merged config.Config
	if err == nil {
		merged, err = overlay(a.file, c)
	}
	if err != nil {
		a.log.Warn("the config the central sent earlier does not apply; using the file's", "err", err)
		return nil
	}
	a.cfg, a.central = merged, c
	return nil
}

// applyCentral applies a down/config live — the pad's rules and identity,
// the screen, the receipts — and keeps it in the store so the next start
// begins from it. The live config is overlay(file, everything the central
// set), exactly what the next start computes. A config that does not
// validate, or has a text the screen's font cannot draw, changes nothing.
func (a *Agent) applyCentral(c protocol.Config) error {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	if why := belowFloor(a.file, c); why != "" {
		return fmt.Errorf("config from the central: %w: %s", ErrBelowFloor, why)
	}
	acc, err := accumulate(a.central, c)
	if err != nil {
		return err
	}
	merged, err := overlay(a.file, acc)
	if err != nil {
		return err
	}
	if a.screen != nil {
		if err := a.screen.CheckTexts(merged); err != nil {
			return fmt.Errorf("config from the central: %w", err)
		}
	}
	set, err := settings(merged)
	if err != nil {
		return err
	}
	if err := a.store.SetState(centralConfigKey, acc.Marshal()); err != nil {
		return err
	}
	if err := a.pad.Reconfigure(set); err != nil {
		return err
	}
	a.mu.Lock()
	a.cfg, a.central = merged, acc
	a.mu.Unlock()
	if a.screen != nil {
		st, _ := screen.StaticOf(merged) // the timezone is the file's: valid since New
		a.screen.SetStatic(st)
	}
	a.log.Info("config from the central applied", "id", c.ID, "hall", merged.Hall, "window", merged.Window, "staff", merged.Staff.ID)
	return nil
}
