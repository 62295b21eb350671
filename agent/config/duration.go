package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a non-negative time.Duration written in TOML as a string: Go
// syntax as time.ParseDuration reads it ("90s", "10m", "1h30m", "500ms") or a
// whole number of days ("30d").
type Duration struct{ time.Duration }

const day = 24 * time.Hour

// UnmarshalText implements encoding.TextUnmarshaler. It rejects negative
// durations.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler. The text is compact ("10m",
// "1h30m", "30d") and UnmarshalText reads it back to the same value. A
// negative duration cannot be written.
func (d Duration) MarshalText() ([]byte, error) {
	if d.Duration < 0 {
		return nil, fmt.Errorf("config: duration %s: must not be negative", d.Duration)
	}
	return []byte(formatDuration(d.Duration)), nil
}

// parseDuration reads Go duration syntax or whole days ("30d").
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days > int64(1<<63-1)/int64(day) {
			return 0, fmt.Errorf("config: invalid duration %q: too many days", s)
		}
		return time.Duration(days) * day, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("config: invalid duration %q: use Go syntax like \"90s\", \"10m\", \"1h30m\" or whole days like \"30d\"", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("config: invalid duration %q: must not be negative", s)
	}
	return v, nil
}

// formatDuration writes d as whole days when it is some, else as
// time.Duration.String without trailing zero units ("10m0s" → "10m").
func formatDuration(d time.Duration) string {
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}
