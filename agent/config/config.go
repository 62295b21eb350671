package config

import (
	"bytes"
	_ "embed"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"evalpad/rating"
)

// Config is the pad's configuration. The comments give each field's default
// and range; example.toml says the same for people.
type Config struct {
	DeviceID string `toml:"device_id"` // "EVALPAD-SIM"; 1..64 of [A-Za-z0-9._-]
	AreaCode string `toml:"area_code"` // "370900"; 6 digits (行政区划代码)
	Hall     string `toml:"hall"`      // "泰安市政务服务中心"; 1..40 characters
	Window   string `toml:"window"`    // "1"; 1..16 characters
	Channel  string `toml:"channel"`   // "4" (评价渠道: 政务大厅平板电脑); 1..8 of [0-9A-Za-z]
	Timezone string `toml:"timezone"`  // "Asia/Shanghai"; an IANA zone name
	DataDir  string `toml:"data_dir"`  // "" (the command picks one); else an absolute path

	Staff   Staff             `toml:"staff"`
	API     API               `toml:"api"`
	Rules   Rules             `toml:"rules"`
	Store   Store             `toml:"store"`
	Display Display           `toml:"display"`
	Printer Printer           `toml:"printer"`
	Receipt Receipt           `toml:"receipt"`
	Buttons Buttons           `toml:"buttons"`
	Touch   Touch             `toml:"touch"`
	Panel   Panel             `toml:"panel"`
	Sync    Sync              `toml:"sync"`
	Update  Update            `toml:"update"`
	Voice   Voice             `toml:"voice"`
	Texts   map[string]string `toml:"texts"`   // screen texts replaced by key (display.TextKeys), e.g. thanks = "感谢您的评价！"
	Reasons rating.Reasons    `toml:"reasons"` // rating.DefaultReasons(); a level given replaces that level's list
}

// Display is the pad's panel and what it shows.
type Display struct {
	Size        string `toml:"size"`         // "1024x600"; also "800x480", "480x320", "320x240", and the SPI modules' "240x320", "240x240", "170x320", "135x240"
	Font        string `toml:"font"`         // "" = the search list (Debian fonts-droid-fallback first); else a font file
	StarOrder   []int  `toml:"star_order"`   // [5,4,3,2,1]: the level of each physical button, left to right
	ButtonsOnly bool   `toml:"buttons_only"` // false: no touch; reasons are chosen with the buttons (2 previous, 1 next, 3 select, 5 confirm)
	ScanURL     string `toml:"scan_url"`     // base URL of 扫码评价 (window QR code and receipts); http(s)
	// Elder mode (适老化, README "Elder mode"): type of 18 dp and titles of
	// 30 dp at least at the panel's real size (18/30 pt where it has room),
	// 60 dp targets, reasons paged, the reasons, thanks and session
	// timeouts doubled. false: the citizen may choose it on the rate screen
	// (大字). Only where it fits (display.ElderSupport): 1024×600, 800×480,
	// 480×320, 320×240; 240×320, 170×320 and 240×240 with buttons_only.
	Elder bool    `toml:"elder"` // false
	DPI   float64 `toml:"dpi"`   // 0 = the panel's usual density for its size (display.PanelDPI, README); else 50..600 pixels per inch
}

// Printer is the receipt printer.
type Printer struct {
	URI   string `toml:"uri"`   // "" (none); "serial:/dev/ttyS2?baud=19200", "file:/dev/usb/lp0" or "tcp://HOST:9100"
	Paper int    `toml:"paper"` // 80 (mm); or 58
	QR    string `toml:"qr"`    // "native" (GS ( k) or "raster" (GS v 0), as the printer model needs
	// Status false: the printer is one-way (many USB ones): never ask its
	// status; Online follows the last write. true still finds a usblp
	// device that answers reads with EINVAL one-way by itself.
	Status  bool   `toml:"status"`  // true
	Profile string `toml:"profile"` // "epson"; the printer's dialect: printer.ProfileNames (status bits, which characters print as text)
}

// Sync is the MQTT link to the central (protocol v1). evalpad sim's
// --broker and --sync-* flags override it.
type Sync struct {
	Broker       string   `toml:"broker"`            // "" (records stay in the outbox); tcp://HOST:1883, ssl://HOST:8883, ws://, wss://
	Username     string   `toml:"username"`          // MQTT username
	PasswordFile string   `toml:"password_file"`     // file holding the MQTT password (env EVALPAD_BROKER_PASSWORD wins)
	CentralKey   string   `toml:"central_key"`       // "" (not provisioned: every downlink message is refused); the central's ed25519 public key, base64
	CAFile       string   `toml:"ca_file"`           // PEM CA of the broker's certificate; "" = system roots
	CertFile     string   `toml:"cert_file"`         // client certificate (mutual TLS)
	KeyFile      string   `toml:"key_file"`          // its key
	Batch        int      `toml:"batch"`             // 256 records per up/records message; 1..5000
	MaxMsgBytes  int      `toml:"max_message_bytes"` // 61440: payload bytes of one up/records message at most; 1024..67108864
	InFlight     int      `toml:"inflight"`          // 4 messages awaiting the central's ack; 1..64
	AckTimeout   Duration `toml:"ack_timeout"`       // 30s: unacked records are sent again after this; 1s..1h
	RetryMin     Duration `toml:"retry_min"`         // 1s: first reconnect delay; 100ms..1m
	RetryMax     Duration `toml:"retry_max"`         // 2m: longest reconnect delay; retry_min..1h
}

// Update is firmware updates: who may sign them, where the slots are, and
// the trial of a new version (README "Firmware updates").
type Update struct {
	VendorKeys  []string `toml:"vendor_keys"`  // []: vendor public key files or directories of *.pub, absolute; none refuses every update
	Slots       string   `toml:"slots"`        // "": the agent slots' root, absolute; "" takes env EVALPAD_SLOTS (set by evalpad boot)
	Trial       Duration `toml:"trial"`        // 5m; 1s..1h: a new version must be healthy this soon after its first boot, else it is rolled back
	BootLimit   int      `toml:"boot_limit"`   // 3; 1..20: boots a new version gets without marking good before the good one runs again
	UBootConfig string   `toml:"uboot_config"` // "": agent slots; else fw_env.config of U-Boot A/B (rootfs updates)
	RootfsA     string   `toml:"rootfs_a"`     // U-Boot A/B: slot a's block device (or image file), absolute
	RootfsB     string   `toml:"rootfs_b"`     // U-Boot A/B: slot b's block device
}

// Voice is the pad's spoken prompts (package agent/voice): 请您对本次服务进行评价
// when a session opens, 感谢您的评价 once the record is committed, the
// reasons read out when asked, played through ALSA's aplay.
type Voice struct {
	Enabled bool              `toml:"enabled"` // false; `evalpad sim` turns it on (--voice=false off)
	Volume  int               `toml:"volume"`  // 80; 0..100, percent of the clip as recorded
	Device  string            `toml:"device"`  // "" (ALSA's default) or an ALSA PCM, e.g. "plughw:0,0"
	Clips   map[string]string `toml:"clips"`   // key → WAV file (PCM, 8 or 16 bit) replacing the shipped clip; keys: prompt, thanks, reasons, reason.<code>
}

// Buttons is where the five star buttons come from on a real pad.
type Buttons struct {
	Driver        string            `toml:"driver"`          // "" (none), "gpio", "evdev" (USB keypad) or "serial" (an evaluator board's MCU)
	GPIOPins      map[string]string `toml:"gpio_pins"`       // gpio: level "1".."5" → pin name, e.g. {5 = "GPIO17"}
	GPIOActiveLow bool              `toml:"gpio_active_low"` // true: buttons close to ground, pull-ups on; false: to 3V3, pull-downs
	Debounce      Duration          `toml:"debounce"`        // 30ms; 1ms..500ms
	LED           string            `toml:"led"`             // gpio: a pin lit briefly on a press; "" none
	Buzzer        string            `toml:"buzzer"`          // gpio: a pin beeped on a press; "" none
	EvdevPath     string            `toml:"evdev_path"`      // evdev: /dev/input/by-id/…-event-kbd
	EvdevKeys     map[string]int    `toml:"evdev_keys"`      // evdev: key code (decimal) → level; empty: KEY_1..5 and KP1..5
	SerialPort    string            `toml:"serial_port"`     // serial: /dev/ttyS1
	SerialBaud    int               `toml:"serial_baud"`     // serial: 115200
}

// Touch is the touch panel over the screen (evdev).
type Touch struct {
	Path    string `toml:"path"`     // "" (none) or /dev/input/by-path/…-event
	Rotate  int    `toml:"rotate"`   // 0, 90, 180, 270
	SwapXY  bool   `toml:"swap_xy"`  // the controller's axes are swapped
	InvertX bool   `toml:"invert_x"` // mirrored horizontally
	InvertY bool   `toml:"invert_y"` // mirrored vertically
	Range   []int  `toml:"range"`    // [min_x, min_y, max_x, max_y] of the raw axes; [] reads them from the device
}

// Panel is the screen's driver on a real pad.
type Panel struct {
	Driver     string `toml:"driver"`      // "" (none), "fb" (Linux framebuffer) or "st7789" (SPI panel)
	FBPath     string `toml:"fb_path"`     // fb: /dev/fb0
	FBGeometry string `toml:"fb_geometry"` // fb on a regular file (tests, simulators): "WxHxBPP", e.g. 1024x600x32; "" reads the device's geometry
	Rotate     int    `toml:"rotate"`      // 0, 90, 180, 270: how the panel is mounted
	SPIPort    string `toml:"spi_port"`    // st7789: /dev/spidev0.0
	SPIHz      int    `toml:"spi_hz"`      // st7789: 40000000
	DCPin      string `toml:"dc_pin"`      // st7789: data/command pin, e.g. GPIO25
	ResetPin   string `toml:"reset_pin"`   // st7789: reset pin, e.g. GPIO27; "" none
	// st7789 module settings (README "ST7789 modules"): where the visible
	// window starts in the controller's 240×320 RAM at rotation 0, colour
	// inversion (INVON), blue-green-red colour filter (MADCTL bit 3), SPI mode.
	OffsetX int  `toml:"offset_x"` // 0; 0..239
	OffsetY int  `toml:"offset_y"` // 0; 0..319
	Invert  bool `toml:"invert"`   // true (most modules need INVON)
	BGR     bool `toml:"bgr"`      // false
	SPIMode int  `toml:"spi_mode"` // 3; 0..3 (CPOL<<1 | CPHA)
}

// Receipt is the signing of the receipt's 扫码评价 URL.
type Receipt struct {
	Key   string `toml:"key"`    // HMAC key shared with the central, ≥16 characters; "" only for the simulator
	KeyID string `toml:"key_id"` // the key's id in the receipt token, 1..16 of [A-Za-z0-9_-]; "" = "0"
}

// Staff is who is on duty when no session names anyone. All fields are
// optional.
type Staff struct {
	ID    string `toml:"id"`    // ≤32 of [A-Za-z0-9._-]
	Name  string `toml:"name"`  // ≤20 characters
	Photo string `toml:"photo"` // a file path, absolute or relative; not checked for existence
}

// API is the pad's local HTTP API. pad/localapi's doc.go has the rules
// these set.
type API struct {
	Listen  string   `toml:"listen"`  // "127.0.0.1:8080"; host:port, port 0..65535
	Token   string   `toml:"token"`   // "" (no auth, loopback only); else ≥16 printable ASCII, no spaces; required when listen is not loopback
	Hosts   []string `toml:"hosts"`   // []: names and addresses the pad is called by besides listen's host and loopback (Host header), e.g. ["192.168.1.20", "pad-w12.hall.lan"]
	Origins []string `toml:"origins"` // []: browser origins allowed to call besides the API's own, e.g. ["http://zc.hall.lan"]
	Rate    int      `toml:"rate"`    // 20 requests per second per LAN client (remote IP); 1..10000
	Burst   int      `toml:"burst"`   // 40 requests at once per LAN client; rate..100000
}

// Rules are the timings of sessions and presses.
type Rules struct {
	SessionTimeout Duration `toml:"session_timeout"` // 10m; 30s..24h: an open session not rated by then becomes an unrated record
	ReasonsTimeout Duration `toml:"reasons_timeout"` // 60s; 5s..10m: a 差评 whose reasons are not confirmed is recorded with those chosen so far
	ThanksDuration Duration `toml:"thanks_duration"` // 3s; 0..1m: how long the thank-you screen shows
	MinInterval    Duration `toml:"min_interval"`    // 3s; 0..10m: a press within this after a rating is ignored
	Walkin         bool     `toml:"walkin"`          // false: presses with no open session are recorded, flagged walkin
}

// Store is the pad's record store.
type Store struct {
	OutboxMax int      `toml:"outbox_max"` // 500000; 100..10000000 unacked records kept before the pad refuses new ratings
	Retention Duration `toml:"retention"`  // 720h; 1h..8760h: how long acked records are kept before pruning
}

// Default returns the configuration used for every field a file leaves out.
// The reason lists are fresh copies.
func Default() Config {
	return Config{
		DeviceID: "EVALPAD-SIM",
		AreaCode: "370900",
		Hall:     "泰安市政务服务中心",
		Window:   "1",
		Channel:  "4",
		Timezone: "Asia/Shanghai",
		DataDir:  "",
		Staff:    Staff{},
		API:      API{Listen: "127.0.0.1:8080", Hosts: []string{}, Origins: []string{}, Rate: 20, Burst: 40},
		Rules: Rules{
			SessionTimeout: Duration{10 * time.Minute},
			ReasonsTimeout: Duration{60 * time.Second},
			ThanksDuration: Duration{3 * time.Second},
			MinInterval:    Duration{3 * time.Second},
		},
		Store: Store{
			OutboxMax: 500000,
			Retention: Duration{720 * time.Hour},
		},
		Display: Display{
			Size:      "1024x600",
			StarOrder: []int{5, 4, 3, 2, 1},
			ScanURL:   "https://hcp.example.gov.cn/rate",
		},
		Voice:   Voice{Volume: 80, Clips: map[string]string{}},
		Printer: Printer{Paper: 80, QR: "native", Status: true, Profile: "epson"},
		Buttons: Buttons{GPIOActiveLow: true, Debounce: Duration{30 * time.Millisecond}, SerialBaud: 115200,
			GPIOPins: map[string]string{}, EvdevKeys: map[string]int{}},
		Panel: Panel{FBPath: "/dev/fb0", SPIPort: "/dev/spidev0.0", SPIHz: 40000000, Invert: true, SPIMode: 3},
		Texts: map[string]string{},
		Sync: Sync{Batch: 256, MaxMsgBytes: 60 << 10, InFlight: 4, AckTimeout: Duration{30 * time.Second},
			RetryMin: Duration{time.Second}, RetryMax: Duration{2 * time.Minute}},
		Update:  Update{VendorKeys: []string{}, Trial: Duration{5 * time.Minute}, BootLimit: 3},
		Reasons: rating.DefaultReasons(),
	}
}

//go:embed example.toml
var example string

// Example returns example.toml: every field with its default value and a
// comment on its meaning and range. Parse(Example()) equals Default().
func Example() []byte { return []byte(example) }

// Parse reads a TOML configuration: it starts from Default, decodes data over
// it, rejects unknown keys, and validates the result. A reasons level given
// in data replaces that level's whole default list. Every error starts with
// "config: " and names the field or the line.
func Parse(data []byte) (Config, error) {
	c := Default()
	// Decode the reason lists into nil slices: the decoder would otherwise
	// reuse the default slices and merge the file's entries into them
	// element by element.
	c.Reasons = rating.Reasons{}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		return Config{}, decodeError(md, err)
	}
	if err := unknownKeys(md); err != nil {
		return Config{}, err
	}
	def := rating.DefaultReasons()
	if !md.IsDefined("reasons", "1") {
		c.Reasons.One = def.One
	}
	if !md.IsDefined("reasons", "2") {
		c.Reasons.Two = def.Two
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Load reads and parses the file at path. Errors name the path; those from
// reading the file wrap the os error.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err) // *fs.PathError names the path
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, &fileError{path: path, err: err}
	}
	return c, nil
}

// Marshal writes c as TOML that Parse reads back to an equal Config. It
// refuses an invalid c, which could not be read back.
func Marshal(c Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b.Bytes(), nil
}

// fileError puts the file's path after the "config: " of each line of a
// Parse error.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string {
	lines := strings.Split(e.err.Error(), "\n")
	for i, l := range lines {
		lines[i] = "config: " + e.path + ": " + strings.TrimPrefix(l, "config: ")
	}
	return strings.Join(lines, "\n")
}

func (e *fileError) Unwrap() error { return e.err }

// decodeError turns a decoder error into one that starts with "config: "
// and names the field (type and value errors) or the line (syntax errors).
func decodeError(md toml.MetaData, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := strings.TrimPrefix(pe.Message, "config: ")
		if len(md.Keys()) == 0 || pe.LastKey == "" {
			// Syntax: the parser failed before any key was decoded.
			s := fmt.Sprintf("config: line %d, column %d: %s", pe.Position.Line, pe.Position.Col, msg)
			if pe.LastKey != "" {
				s += fmt.Sprintf(" (last key %q)", pe.LastKey)
			}
			return errors.New(s)
		}
		return fieldError(pe.LastKey, pe.Position.Line, msg)
	}
	// The decoder's type errors are plain strings:
	// `toml: line 7 (last key "rules.walkin"): incompatible types: …`.
	re := regexp.MustCompile(`(?s)^toml: (?:line (\d+) )?\(last key ("(?:[^"\\]|\\.)*")\): (.*)$`)
	if m := re.FindStringSubmatch(err.Error()); m != nil {
		key, uerr := strconv.Unquote(m[2])
		if uerr == nil {
			line, _ := strconv.Atoi(m[1])
			return fieldError(key, line, m[3])
		}
	}
	return errors.New("config: " + strings.TrimPrefix(err.Error(), "toml: "))
}

func fieldError(key string, line int, msg string) error {
	if line > 0 {
		return fmt.Errorf("config: %s (line %d): %s", key, line, msg)
	}
	return fmt.Errorf("config: %s: %s", key, msg)
}

// unknownKeys reports the keys in the file that are not fields of Config:
// those the decoder left (md.Undecoded) and those it matched only ignoring
// case, which it does silently.
func unknownKeys(md toml.MetaData) error {
	known := map[string]bool{}
	knownKeys(reflect.TypeFor[Config](), "", known)
	undecoded := map[string]bool{}
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	var errs []error
	reported := map[string]bool{}
	for _, k := range md.Keys() { // in file order
		s := k.String()
		inMap := len(k) > 1 && known[k[:len(k)-1].String()+".*"] // a key of a map field, any name
		if ((known[s] || inMap) && !undecoded[s]) || reported[s] || parentReported(k, reported) {
			continue
		}
		reported[s] = true
		hint := ""
		for name := range known {
			if strings.EqualFold(name, s) {
				hint = fmt.Sprintf(" (names are case-sensitive: %q)", name)
				break
			}
		}
		errs = append(errs, fmt.Errorf("config: unknown field %q%s", s, hint))
	}
	return errors.Join(errs...)
}

func parentReported(k toml.Key, reported map[string]bool) bool {
	for i := 1; i < len(k); i++ {
		if reported[k[:i].String()] {
			return true
		}
	}
	return false
}

// knownKeys adds the TOML key of every field of t, and of the tables that
// hold them, under prefix.
func knownKeys(t reflect.Type, prefix string, known map[string]bool) {
	textType := reflect.TypeFor[encoding.TextUnmarshaler]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		known[key] = true
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(textType) {
			knownKeys(ft, key+".", known)
		}
		if ft.Kind() == reflect.Map {
			known[key+".*"] = true
		}
	}
}
