package protocol

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"evalpad/rating"
)

// Config is down/config (retained): what the central sets on a pad. Every
// field is optional; an absent (nil) field leaves the pad's value as it is.
// ID, when given, is answered on up/cmdresult.
type Config struct {
	ID      string            `json:"id,omitempty"`
	Hall    *string           `json:"hall,omitempty"`
	Window  *string           `json:"window,omitempty"`
	Staff   *ConfigStaff      `json:"staff,omitempty"`
	Reasons *rating.Reasons   `json:"reasons,omitempty"`
	Rules   *ConfigRules      `json:"rules,omitempty"`
	Texts   map[string]string `json:"texts,omitempty"` // screen texts by key, e.g. "thanks": "感谢您的评价"
}

// ConfigStaff is the staff on duty.
type ConfigStaff struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ConfigRules are the timings, as Go durations ("90s", "10m").
type ConfigRules struct {
	SessionTimeout *Duration `json:"session_timeout,omitempty"`
	ReasonsTimeout *Duration `json:"reasons_timeout,omitempty"`
	ThanksDuration *Duration `json:"thanks_duration,omitempty"`
	MinInterval    *Duration `json:"min_interval,omitempty"`
	Walkin         *bool     `json:"walkin,omitempty"`
}

// Duration is a time.Duration written as a Go duration string.
type Duration struct{ time.Duration }

// UnmarshalJSON reads "90s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string like \"90s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"90s\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// Limits of a config message.
const (
	MaxTexts     = 32
	MaxTextRunes = 200
)

// ParseConfig decodes and validates a down/config payload. The ranges are
// those of the pad's TOML config.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := decode("config", data, &c); err != nil {
		var head struct {
			ID string `json:"id"`
		}
		if len(data) <= MaxPayload && json.Unmarshal(data, &head) == nil && checkCode("config", "id", head.ID) == nil {
			return Config{ID: head.ID}, err
		}
		return Config{}, err
	}
	if len(c.Texts) == 0 {
		c.Texts = nil // {} and absent mean the same
	}
	if err := c.Validate(); err != nil {
		id := ""
		if checkCode("config", "id", c.ID) == nil {
			id = c.ID
		}
		return Config{ID: id}, err
	}
	return c, nil
}

// Validate checks every field given.
func (c Config) Validate() error {
	if c.ID != "" {
		if err := checkCode("config", "id", c.ID); err != nil {
			return err
		}
	}
	if c.Hall != nil {
		if err := checkText("hall", *c.Hall, 1, 40); err != nil {
			return err
		}
	}
	if c.Window != nil {
		if err := checkText("window", *c.Window, 1, 16); err != nil {
			return err
		}
	}
	if c.Staff != nil {
		if c.Staff.ID != "" {
			if err := checkCode("config", "staff.id", c.Staff.ID); err != nil {
				return err
			}
			if err := rating.CheckNotPersonal(c.Staff.ID); err != nil {
				return fmt.Errorf("%w: config: staff.id: %w", ErrInvalid, err)
			}
		}
		if err := checkText("staff.name", c.Staff.Name, 0, 20); err != nil {
			return err
		}
	}
	if c.Reasons != nil {
		if err := c.Reasons.Validate(); err != nil {
			return invalid("config", "%v", err)
		}
	}
	if r := c.Rules; r != nil {
		for _, x := range []struct {
			name     string
			d        *Duration
			min, max time.Duration
		}{
			{"rules.session_timeout", r.SessionTimeout, 30 * time.Second, 24 * time.Hour},
			{"rules.reasons_timeout", r.ReasonsTimeout, 5 * time.Second, 10 * time.Minute},
			{"rules.thanks_duration", r.ThanksDuration, 0, time.Minute},
			{"rules.min_interval", r.MinInterval, 0, 10 * time.Minute},
		} {
			if x.d != nil && (x.d.Duration < x.min || x.d.Duration > x.max) {
				return invalid("config", "%s: must be between %v and %v (got %v)", x.name, x.min, x.max, x.d.Duration)
			}
		}
	}
	if len(c.Texts) > MaxTexts {
		return invalid("config", "texts: %d texts, at most %d", len(c.Texts), MaxTexts)
	}
	for k, v := range c.Texts {
		if err := checkCode("config", "texts key", k); err != nil {
			return err
		}
		if err := checkText("texts."+k, v, 1, MaxTextRunes); err != nil {
			return err
		}
	}
	return nil
}

// Marshal encodes c.
func (c Config) Marshal() []byte {
	b, _ := json.Marshal(c)
	return b
}

func checkText(field, v string, min, max int) error {
	if err := rating.CheckText(v); err != nil {
		return invalid("config", "%s: %v", field, err)
	}
	n := utf8.RuneCountInString(v)
	if n < min || n > max {
		return invalid("config", "%s: %d characters, must be %d to %d", field, n, min, max)
	}
	return nil
}
