package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validate checks every field. Each problem is one line of the error, in
// the form "config: <toml key>: <what is wrong>"; the lines are joined with
// errors.Join in field order.
func (c Config) Validate() error {
	var errs []error
	add := func(key string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("config: %s: %w", key, err))
		}
	}

	if c.DeviceID == "" {
		add("device_id", errors.New("required"))
	} else {
		add("device_id", checkID(c.DeviceID, 64))
	}
	add("area_code", checkAreaCode(c.AreaCode))
	add("hall", checkText(c.Hall, 1, 40))
	add("window", checkText(c.Window, 1, 16))
	add("channel", checkChannel(c.Channel))
	if _, err := c.Location(); err != nil {
		errs = append(errs, err)
	}
	if c.DataDir != "" {
		add("data_dir", checkPath(c.DataDir, true))
	}

	if c.Staff.ID != "" {
		add("staff.id", checkID(c.Staff.ID, 32))
	}
	add("staff.name", checkText(c.Staff.Name, 0, 20))
	if c.Staff.Photo != "" {
		add("staff.photo", checkPath(c.Staff.Photo, false))
	}

	add("api.listen", checkListen(c.API.Listen))
	add("api.token", checkToken(c.API.Token))

	add("rules.session_timeout", checkRange(c.Rules.SessionTimeout, 30*time.Second, 24*time.Hour))
	add("rules.reasons_timeout", checkRange(c.Rules.ReasonsTimeout, 5*time.Second, 10*time.Minute))
	add("rules.thanks_duration", checkRange(c.Rules.ThanksDuration, 0, time.Minute))
	add("rules.min_interval", checkRange(c.Rules.MinInterval, 0, 10*time.Minute))

	if n := c.Store.OutboxMax; n < 100 || n > 10000000 {
		add("store.outbox_max", fmt.Errorf("must be between 100 and 10000000 (got %d)", n))
	}
	add("store.retention", checkRange(c.Store.Retention, time.Hour, 8760*time.Hour))

	if _, _, err := c.Display.Dimensions(); err != nil {
		add("display.size", err)
	}
	if c.Display.Font != "" {
		add("display.font", checkPath(c.Display.Font, false))
	}
	add("display.star_order", checkStarOrder(c.Display.StarOrder))
	add("display.scan_url", checkURL(c.Display.ScanURL))
	if c.Printer.Paper != 58 && c.Printer.Paper != 80 {
		add("printer.paper", fmt.Errorf("must be 58 or 80 (mm), got %d", c.Printer.Paper))
	}
	if c.Printer.QR != "native" && c.Printer.QR != "raster" {
		add("printer.qr", fmt.Errorf("must be \"native\" (GS ( k) or \"raster\" (GS v 0), got %q", c.Printer.QR))
	}
	if k := c.Receipt.Key; k != "" && (len(k) < 16 || strings.ContainsFunc(k, unicode.IsControl)) {
		add("receipt.key", errors.New("must be at least 16 characters, no control characters"))
	}

	if err := c.Reasons.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err)) // "reasons.1[2].code: …"
	}
	return errors.Join(errs...)
}

// Dimensions parses display.size ("1024x600") into width and height.
func (d Display) Dimensions() (w, h int, err error) {
	switch d.Size {
	case "1024x600":
		return 1024, 600, nil
	case "800x480":
		return 800, 480, nil
	case "480x320":
		return 480, 320, nil
	}
	return 0, 0, fmt.Errorf("must be 1024x600, 800x480 or 480x320, got %q", d.Size)
}

func checkStarOrder(o []int) error {
	if len(o) != 5 {
		return fmt.Errorf("must list the five levels 1 to 5 once each, got %v", o)
	}
	seen := [6]bool{}
	for _, n := range o {
		if n < 1 || n > 5 || seen[n] {
			return fmt.Errorf("must list the five levels 1 to 5 once each, got %v", o)
		}
		seen[n] = true
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must be an http(s) URL without query or fragment, got %q", s)
	}
	return nil
}

// Location loads the configured time zone.
func (c Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		return nil, errors.New(`config: timezone: required, e.g. "Asia/Shanghai"`)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("config: timezone: %w", err)
	}
	return loc, nil
}

// checkID accepts 1..max bytes of [A-Za-z0-9._-].
func checkID(s string, max int) error {
	ok := len(s) >= 1 && len(s) <= max
	for i := 0; ok && i < len(s); i++ {
		b := s[i]
		ok = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
	}
	if !ok {
		return fmt.Errorf("must be 1 to %d characters of A-Z a-z 0-9 . _ - (got %q)", max, s)
	}
	return nil
}

func checkAreaCode(s string) error {
	ok := len(s) == 6
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return fmt.Errorf("must be exactly 6 digits (got %q)", s)
	}
	return nil
}

func checkChannel(s string) error {
	ok := len(s) >= 1 && len(s) <= 8
	for i := 0; ok && i < len(s); i++ {
		b := s[i]
		ok = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	if !ok {
		return fmt.Errorf("must be 1 to 8 characters of 0-9 A-Z a-z (got %q)", s)
	}
	return nil
}

// checkText accepts min..max characters of valid UTF-8 with no control
// characters.
func checkText(s string, min, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("must be valid UTF-8 (got %q)", s)
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		if min == 0 {
			return fmt.Errorf("must be at most %d characters (got %d)", max, n)
		}
		return fmt.Errorf("must be %d to %d characters (got %d)", min, max, n)
	}
	return checkNoControl(s)
}

func checkNoControl(s string) error {
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("must not contain control characters (got %q)", s)
		}
	}
	return nil
}

// checkPath accepts a file path without control characters, absolute when
// abs is set.
func checkPath(p string, abs bool) error {
	if !utf8.ValidString(p) {
		return fmt.Errorf("must be valid UTF-8 (got %q)", p)
	}
	if err := checkNoControl(p); err != nil {
		return err
	}
	if abs && !filepath.IsAbs(p) {
		return fmt.Errorf("must be an absolute path (got %q)", p)
	}
	return nil
}

func checkListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("must be host:port, e.g. \"127.0.0.1:8080\" (got %q)", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port must be a number 0 to 65535 (got %q)", s)
	}
	return nil
}

// checkToken accepts "" (no auth) or at least 16 printable ASCII characters
// without spaces. The error does not repeat the token.
func checkToken(s string) error {
	if s == "" {
		return nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("must be printable ASCII without spaces (character %d is not)", i+1)
		}
	}
	if len(s) < 16 {
		return fmt.Errorf("must be empty (no auth) or at least 16 characters (got %d)", len(s))
	}
	return nil
}

func checkRange(d Duration, min, max time.Duration) error {
	if d.Duration < min || d.Duration > max {
		return fmt.Errorf("must be between %v and %v (got %v)", min, max, d.Duration)
	}
	return nil
}
