package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"evalpad/device/printer"
	"evalpad/display"
	"evalpad/display/receipt"
	"evalpad/rating"
	"evalpad/sync/protocol"
	"evalpad/trust"
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
		add("staff.id", checkStaffID(c.Staff.ID))
	}
	add("staff.name", checkText(c.Staff.Name, 0, 20))
	if c.Staff.Photo != "" {
		add("staff.photo", checkPath(c.Staff.Photo, false))
	}

	add("api.listen", checkListen(c.API.Listen))
	add("api.token", checkToken(c.API.Token))
	if c.API.Token == "" && checkListen(c.API.Listen) == nil && !LoopbackListen(c.API.Listen) {
		add("api.token", fmt.Errorf("required: api.listen %q is reachable from the LAN, which needs a token (or listen on 127.0.0.1)", c.API.Listen))
	}
	c.API.validate(add)

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
	if d := c.Display.DPI; d != 0 && (d < 50 || d > 600) {
		add("display.dpi", fmt.Errorf("must be 0 (the panel's usual) or 50 to 600 pixels per inch, got %g", d))
	}
	if w, h, err := c.Display.Dimensions(); err == nil && c.Display.Elder {
		add("display.elder", checkElder(display.Size{W: w, H: h}, c.Display.DPI, c.Display.ButtonsOnly))
	}
	if c.Printer.Paper != 58 && c.Printer.Paper != 80 {
		add("printer.paper", fmt.Errorf("must be 58 or 80 (mm), got %d", c.Printer.Paper))
	}
	if c.Printer.QR != "native" && c.Printer.QR != "raster" {
		add("printer.qr", fmt.Errorf("must be \"native\" (GS ( k) or \"raster\" (GS v 0), got %q", c.Printer.QR))
	}
	if u := c.Printer.URI; u != "" {
		add("printer.uri", checkPrinterURI(u))
	}
	if _, err := printer.ProfileByName(c.Printer.Profile); err != nil {
		add("printer.profile", fmt.Errorf("must be one of %s, got %q", strings.Join(printer.ProfileNames(), ", "), c.Printer.Profile))
	}
	c.Buttons.validate(add)
	if c.Touch.Path != "" {
		add("touch.path", checkPath(c.Touch.Path, true))
	}
	add("touch.rotate", checkRotate(c.Touch.Rotate))
	if r := c.Touch.Range; len(r) != 0 && (len(r) != 4 || r[0] >= r[2] || r[1] >= r[3]) {
		add("touch.range", fmt.Errorf("must be [min_x, min_y, max_x, max_y] with min < max, or [], got %v", r))
	}
	c.Panel.validate(add)
	if w, h, err := c.Display.Dimensions(); err == nil && c.Panel.Driver == "st7789" {
		add(c.Panel.checkWindow(w, h))
	}
	c.Sync.validate(add)
	c.Update.validate(add)
	c.Voice.validate(add)
	keys := display.TextKeys()
	for k, t := range c.Texts {
		if _, ok := keys[k]; !ok {
			add("texts."+k, fmt.Errorf("not a screen text; the keys are %s", strings.Join(slices.Sorted(maps.Keys(keys)), ", ")))
			continue
		}
		add("texts."+k, checkText(t, 0, 40))
	}
	if k := c.Receipt.Key; k != "" && (len(k) < 16 || rating.CheckText(k) != nil) {
		add("receipt.key", errors.New("must be at least 16 characters, no control or format characters"))
	}
	if id := c.Receipt.KeyID; id != "" {
		add("receipt.key_id", receipt.CheckKeyID(id))
	}

	if err := c.Reasons.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err)) // "reasons.1[2].code: …"
	}
	return errors.Join(errs...)
}

// displaySizes are the sizes display.size takes: the hall pads' panels,
// then the SPI modules' (README "ST7789 modules"), portrait as the module
// is at rotation 0 (240x320 turned is 320x240).
var displaySizes = []string{"1024x600", "800x480", "480x320", "320x240", "240x320", "240x240", "170x320", "135x240"}

// Dimensions parses display.size ("1024x600") into width and height.
func (d Display) Dimensions() (w, h int, err error) {
	if slices.Contains(displaySizes, d.Size) {
		ws, hs, _ := strings.Cut(d.Size, "x")
		w, _ = strconv.Atoi(ws)
		h, _ = strconv.Atoi(hs)
		return w, h, nil
	}
	return 0, 0, fmt.Errorf("must be one of %s, got %q", strings.Join(displaySizes, ", "), d.Size)
}

// ModuleSize is the st7789 module's visible size at rotation 0 for a
// display of w×h: turned back when the panel is mounted at 90 or 270.
func (p Panel) ModuleSize(w, h int) (mw, mh int) {
	if p.Rotate == 90 || p.Rotate == 270 {
		return h, w
	}
	return w, h
}

// checkWindow checks that the module's visible window, at its offsets,
// lies in the ST7789's 240×320 RAM; the key it names is display.size when
// the size alone cannot, else the offset that pushes it out.
func (p Panel) checkWindow(w, h int) (string, error) {
	mw, mh := p.ModuleSize(w, h)
	key := "panel.offset_x"
	switch {
	case mw > 240 || mh > 320:
		key = "display.size"
	case p.OffsetY+mh > 320:
		key = "panel.offset_y"
	}
	if p.OffsetX+mw > 240 || p.OffsetY+mh > 320 {
		return key, fmt.Errorf("a %d×%d module (display.size %dx%d at panel.rotate %d) at offset (%d,%d) does not fit the ST7789's 240×320 RAM: offset_x + width must be ≤ 240 and offset_y + height ≤ 320",
			mw, mh, w, h, p.Rotate, p.OffsetX, p.OffsetY)
	}
	return key, nil
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

func checkRotate(r int) error {
	if r != 0 && r != 90 && r != 180 && r != 270 {
		return fmt.Errorf("must be 0, 90, 180 or 270, got %d", r)
	}
	return nil
}

func checkPrinterURI(u string) error {
	switch {
	case strings.HasPrefix(u, "serial:/"), strings.HasPrefix(u, "file:/"):
		return nil
	case strings.HasPrefix(u, "tcp://"):
		if _, _, err := net.SplitHostPort(strings.TrimPrefix(u, "tcp://")); err != nil {
			return fmt.Errorf("tcp://HOST:PORT, got %q", u)
		}
		return nil
	}
	return fmt.Errorf("must be serial:/dev/…[?baud=N], file:/dev/usb/lp… or tcp://HOST:PORT, got %q", u)
}

func (b Buttons) validate(add func(string, error)) {
	switch b.Driver {
	case "":
	case "gpio":
		if len(b.GPIOPins) == 0 {
			add("buttons.gpio_pins", errors.New("required with driver gpio: a pin for each level, e.g. {5 = \"GPIO17\"}"))
		}
	case "evdev":
		if b.EvdevPath == "" {
			add("buttons.evdev_path", errors.New("required with driver evdev"))
		}
	case "serial":
		if b.SerialPort == "" {
			add("buttons.serial_port", errors.New("required with driver serial"))
		}
	default:
		add("buttons.driver", fmt.Errorf("must be \"\", \"gpio\", \"evdev\" or \"serial\", got %q", b.Driver))
	}
	for k, pin := range b.GPIOPins {
		if n, err := strconv.Atoi(k); err != nil || n < 1 || n > 5 || pin == "" {
			add("buttons.gpio_pins", fmt.Errorf("keys are levels 1 to 5 with a pin name each, got %q = %q", k, pin))
		}
	}
	for k, lv := range b.EvdevKeys {
		if n, err := strconv.Atoi(k); err != nil || n < 1 || n > 0x2ff || lv < 1 || lv > 5 {
			add("buttons.evdev_keys", fmt.Errorf("keys are key codes (decimal) and values levels 1 to 5, got %q = %d", k, lv))
		}
	}
	add("buttons.debounce", checkRange(b.Debounce, time.Millisecond, 500*time.Millisecond))
	if b.SerialBaud < 1200 || b.SerialBaud > 3000000 {
		add("buttons.serial_baud", fmt.Errorf("must be between 1200 and 3000000, got %d", b.SerialBaud))
	}
}

func (p Panel) validate(add func(string, error)) {
	switch p.Driver {
	case "":
	case "fb":
		add("panel.fb_path", checkPath(p.FBPath, true))
		if p.FBGeometry != "" {
			if _, _, _, err := p.Geometry(); err != nil {
				add("panel.fb_geometry", err)
			}
		}
	case "st7789":
		if p.DCPin == "" {
			add("panel.dc_pin", errors.New("required with driver st7789"))
		}
		add("panel.spi_port", checkPath(p.SPIPort, true))
	default:
		add("panel.driver", fmt.Errorf("must be \"\", \"fb\" or \"st7789\", got %q", p.Driver))
	}
	add("panel.rotate", checkRotate(p.Rotate))
	if p.OffsetX < 0 || p.OffsetX > 239 {
		add("panel.offset_x", fmt.Errorf("must be between 0 and 239 (columns of the ST7789's RAM), got %d", p.OffsetX))
	}
	if p.OffsetY < 0 || p.OffsetY > 319 {
		add("panel.offset_y", fmt.Errorf("must be between 0 and 319 (rows of the ST7789's RAM), got %d", p.OffsetY))
	}
	if p.SPIMode < 0 || p.SPIMode > 3 {
		add("panel.spi_mode", fmt.Errorf("must be 0, 1, 2 or 3 (CPOL×2 + CPHA; most ST7789 modules: 3, or 0 with a CS line), got %d", p.SPIMode))
	}
	if p.SPIHz < 100000 || p.SPIHz > 100000000 {
		add("panel.spi_hz", fmt.Errorf("must be between 100000 and 100000000, got %d", p.SPIHz))
	}
}

func (s Sync) validate(add func(string, error)) {
	if s.Broker != "" {
		u, err := url.Parse(s.Broker)
		if err != nil || u.Host == "" || !slices.Contains([]string{"tcp", "ssl", "tls", "mqtt", "mqtts", "ws", "wss"}, u.Scheme) {
			add("sync.broker", fmt.Errorf("must be tcp://HOST:PORT, ssl://HOST:PORT, ws:// or wss://, got %q", protocol.RedactURL(s.Broker)))
		}
	}
	if s.CentralKey != "" {
		if _, err := trust.ParsePublicKey(s.CentralKey); err != nil {
			add("sync.central_key", fmt.Errorf("must be the central's ed25519 public key in base64 (44 characters): %w", err))
		}
	}
	for _, f := range []struct{ key, path string }{{"sync.password_file", s.PasswordFile}, {"sync.ca_file", s.CAFile},
		{"sync.cert_file", s.CertFile}, {"sync.key_file", s.KeyFile}} {
		if f.path != "" {
			add(f.key, checkPath(f.path, false))
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		add("sync.key_file", errors.New("cert_file and key_file go together"))
	}
	if s.Batch < 1 || s.Batch > 5000 {
		add("sync.batch", fmt.Errorf("must be between 1 and 5000, got %d", s.Batch))
	}
	// link.MinMessageBytes and link.MaxMessageBytesLimit (what the central
	// accepts in one message); config does not import the link.
	if s.MaxMsgBytes < 1<<10 || s.MaxMsgBytes > 64<<20 {
		add("sync.max_message_bytes", fmt.Errorf("must be between 1024 and 67108864 bytes (64 MiB), got %d", s.MaxMsgBytes))
	}
	if s.InFlight < 1 || s.InFlight > 64 {
		add("sync.inflight", fmt.Errorf("must be between 1 and 64, got %d", s.InFlight))
	}
	add("sync.ack_timeout", checkRange(s.AckTimeout, time.Second, time.Hour))
	add("sync.retry_min", checkRange(s.RetryMin, 100*time.Millisecond, time.Minute))
	add("sync.retry_max", checkRange(s.RetryMax, max(s.RetryMin.Duration, 100*time.Millisecond), time.Hour))
}

func (u Update) validate(add func(string, error)) {
	if len(u.VendorKeys) > 16 {
		add("update.vendor_keys", fmt.Errorf("at most 16 entries, got %d", len(u.VendorKeys)))
	}
	for _, k := range u.VendorKeys {
		add("update.vendor_keys", checkPath(k, true))
	}
	for _, f := range []struct{ key, path string }{{"update.slots", u.Slots}, {"update.uboot_config", u.UBootConfig},
		{"update.rootfs_a", u.RootfsA}, {"update.rootfs_b", u.RootfsB}} {
		if f.path != "" {
			add(f.key, checkPath(f.path, true))
		}
	}
	add("update.trial", checkRange(u.Trial, time.Second, time.Hour))
	if u.BootLimit < 1 || u.BootLimit > 20 {
		add("update.boot_limit", fmt.Errorf("must be between 1 and 20, got %d", u.BootLimit))
	}
	if u.UBootConfig != "" && (u.RootfsA == "" || u.RootfsB == "") {
		add("update.rootfs_a", errors.New("U-Boot A/B (uboot_config) needs rootfs_a and rootfs_b"))
	}
	if u.UBootConfig != "" && u.Slots != "" {
		add("update.slots", errors.New("agent slots and U-Boot A/B (uboot_config) exclude each other"))
	}
}

// Geometry parses panel.fb_geometry "WxHxBPP" (BPP 16 or 32).
func (p Panel) Geometry() (w, h, bpp int, err error) {
	parts := strings.Split(p.FBGeometry, "x")
	if len(parts) == 3 {
		w, e1 := strconv.Atoi(parts[0])
		h, e2 := strconv.Atoi(parts[1])
		bpp, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil && w > 0 && h > 0 && w <= 8192 && h <= 8192 && (bpp == 16 || bpp == 32) {
			return w, h, bpp, nil
		}
	}
	return 0, 0, 0, fmt.Errorf("must be WIDTHxHEIGHTxBPP with BPP 16 or 32, e.g. 1024x600x32, got %q", p.FBGeometry)
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

// checkStaffID accepts a staff id: 1..32 of [A-Za-z0-9._-], and no phone
// or ID number (rating.CheckNotPersonal), which the error does not repeat.
func checkStaffID(s string) error {
	if err := rating.CheckNotPersonal(s); err != nil {
		return err
	}
	return checkID(s, 32)
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
// or format characters (rating.CheckText).
func checkText(s string, min, max int) error {
	if err := rating.CheckText(s); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		if min == 0 {
			return fmt.Errorf("must be at most %d characters (got %d)", max, n)
		}
		return fmt.Errorf("must be %d to %d characters (got %d)", min, max, n)
	}
	return nil
}

// checkPath accepts a file path without control or format characters,
// absolute when abs is set.
func checkPath(p string, abs bool) error {
	if err := rating.CheckText(p); err != nil {
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

func (v Voice) validate(add func(string, error)) {
	if v.Volume < 0 || v.Volume > 100 {
		add("voice.volume", fmt.Errorf("must be between 0 and 100 (percent), got %d", v.Volume))
	}
	if len(v.Device) > 64 || strings.ContainsAny(v.Device, " \t\n") {
		add("voice.device", fmt.Errorf("%q is not an ALSA device name", v.Device))
	}
	for k, p := range v.Clips {
		if k != "prompt" && k != "thanks" && k != "reasons" && !(strings.HasPrefix(k, "reason.") && len(k) > len("reason.")) {
			add("voice.clips", fmt.Errorf("unknown key %q: prompt, thanks, reasons or reason.<code>", k))
			continue
		}
		add("voice.clips."+k, checkPath(p, true))
	}
}
