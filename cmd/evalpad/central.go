package main

import (
	"fmt"
	"maps"

	"evalpad/pad"
	"evalpad/agent/config"
	"evalpad/rating"
	"evalpad/sync/protocol"
)

// centralConfigKey is where the store keeps what the central's down/config
// messages set, merged: it wins over the config file at every start.
const centralConfigKey = "central_config"

// mergeCentral lays the fields the central set over cfg and validates the
// result; on error cfg is returned unchanged.
func mergeCentral(cfg config.Config, c protocol.Config) (config.Config, error) {
	out := cfg
	out.Reasons = rating.Reasons{One: append([]rating.Reason(nil), cfg.Reasons.One...), Two: append([]rating.Reason(nil), cfg.Reasons.Two...)}
	if c.Hall != nil {
		out.Hall = *c.Hall
	}
	if c.Window != nil {
		out.Window = *c.Window
	}
	if c.Staff != nil {
		out.Staff.ID, out.Staff.Name = c.Staff.ID, c.Staff.Name
	}
	if c.Reasons != nil {
		if len(c.Reasons.One) > 0 {
			out.Reasons.One = c.Reasons.One
		}
		if len(c.Reasons.Two) > 0 {
			out.Reasons.Two = c.Reasons.Two
		}
	}
	if len(c.Texts) > 0 {
		out.Texts = maps.Clone(cfg.Texts)
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
	if err := out.Validate(); err != nil {
		return cfg, fmt.Errorf("config from the central: %w", err)
	}
	return out, nil
}

// accumulate adds the fields c sets to the central's config so far.
func accumulate(acc, c protocol.Config) protocol.Config {
	if c.Hall != nil {
		acc.Hall = c.Hall
	}
	if c.Window != nil {
		acc.Window = c.Window
	}
	if c.Staff != nil {
		acc.Staff = c.Staff
	}
	if c.Reasons != nil {
		r := rating.Reasons{}
		if acc.Reasons != nil {
			r = *acc.Reasons
		}
		if len(c.Reasons.One) > 0 {
			r.One = c.Reasons.One
		}
		if len(c.Reasons.Two) > 0 {
			r.Two = c.Reasons.Two
		}
		acc.Reasons = &r
	}
	if c.Rules != nil {
		r := protocol.ConfigRules{}
		if acc.Rules != nil {
			r = *acc.Rules
		}
		n := *c.Rules
		for _, f := range []struct{ from, to **protocol.Duration }{{&n.SessionTimeout, &r.SessionTimeout},
			{&n.ReasonsTimeout, &r.ReasonsTimeout}, {&n.ThanksDuration, &r.ThanksDuration}, {&n.MinInterval, &r.MinInterval}} {
			if *f.from != nil {
				*f.to = *f.from
			}
		}
		if n.Walkin != nil {
			r.Walkin = n.Walkin
		}
		acc.Rules = &r
	}
	if len(c.Texts) > 0 {
		t := maps.Clone(acc.Texts)
		if t == nil {
			t = map[string]string{}
		}
		maps.Copy(t, c.Texts)
		acc.Texts = t
	}
	acc.ID = ""
	return acc
}

// padSettings are the pad's rules and identity from cfg.
func padSettings(cfg config.Config) (pad.Settings, error) {
	loc, err := cfg.Location()
	if err != nil {
		return pad.Settings{}, err
	}
	return pad.Settings{
		Origin:   rating.Origin{DeviceID: cfg.DeviceID, AreaCode: cfg.AreaCode, Hall: cfg.Hall, Window: cfg.Window, Channel: cfg.Channel},
		Location: loc,
		OnDuty:   rating.Staff{ID: cfg.Staff.ID, Name: cfg.Staff.Name},
		Reasons:  cfg.Reasons,

		SessionTimeout: cfg.Rules.SessionTimeout.Duration,
		ReasonsTimeout: cfg.Rules.ReasonsTimeout.Duration,
		ThanksDuration: cfg.Rules.ThanksDuration.Duration,
		MinInterval:    cfg.Rules.MinInterval.Duration,
		Walkin:         cfg.Rules.Walkin,
		ButtonsOnly:    cfg.Display.ButtonsOnly,
	}, nil
}

// applyCentral applies a down/config live: the pad's rules and identity,
// the screen's hall, window and texts, the receipts; and keeps it in the
// store so the next start begins from it. A config that does not validate,
// or has a text the font cannot draw, changes nothing.
func (a *agent) applyCentral(c protocol.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	merged, err := mergeCentral(a.cfg, c)
	if err != nil {
		return err
	}
	if a.checkGlyphs != nil {
		if err := a.checkGlyphs(merged); err != nil {
			return fmt.Errorf("config from the central: %w", err)
		}
	}
	set, err := padSettings(merged)
	if err != nil {
		return err
	}
	acc := accumulate(a.central, c)
	if err := a.store.SetState(centralConfigKey, acc.Marshal()); err != nil {
		return err
	}
	if err := a.pad.Reconfigure(set); err != nil {
		return err
	}
	a.cfg, a.central = merged, acc
	for _, fn := range a.onConfig {
		fn(merged)
	}
	a.log.Info("config from the central applied", "id", c.ID, "hall", merged.Hall, "window", merged.Window, "staff", merged.Staff.ID)
	return nil
}

// config is the agent's current config (the file's, with the central's on top).
func (a *agent) config() config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}
