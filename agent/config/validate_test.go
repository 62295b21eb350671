package config_test

import (
	"strings"
	"testing"
	"time"

	_ "time/tzdata"

	"evalpad/agent/config"
	"evalpad/rating"
)

// TestValidateFields has a valid and an invalid value for every rule; an
// invalid one must fail with one error line that names its field.
func TestValidateFields(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	cases := []struct {
		name  string
		toml  string
		field string // "" = valid
	}{
		{"device_id ok", `device_id = "pad-01.A_b"`, ""},
		{"device_id 64", `device_id = "` + long("a", 64) + `"`, ""},
		{"device_id empty", `device_id = ""`, "device_id"},
		{"device_id 65", `device_id = "` + long("a", 65) + `"`, "device_id"},
		{"device_id space", `device_id = "pad 1"`, "device_id"},
		{"device_id chinese", `device_id = "平板"`, "device_id"},

		{"update ok", "[update]\nvendor_keys = [\"/etc/evalpad/vendor\"]\nslots = \"/var/lib/evalpad/slots\"\ntrial = \"2s\"\nboot_limit = 1", ""},
		{"update uboot ok", "[update]\nuboot_config = \"/etc/fw_env.config\"\nrootfs_a = \"/dev/mmcblk0p2\"\nrootfs_b = \"/dev/mmcblk0p3\"", ""},
		{"update relative key", "[update]\nvendor_keys = [\"vendor.pub\"]", "update.vendor_keys"},
		{"update relative slots", "[update]\nslots = \"slots\"", "update.slots"},
		{"update trial short", "[update]\ntrial = \"500ms\"", "update.trial"},
		{"update trial long", "[update]\ntrial = \"2h\"", "update.trial"},
		{"update boot_limit 0", "[update]\nboot_limit = 0", "update.boot_limit"},
		{"update boot_limit 21", "[update]\nboot_limit = 21", "update.boot_limit"},
		{"update uboot without rootfs", "[update]\nuboot_config = \"/etc/fw_env.config\"", "update.rootfs_a"},
		{"update uboot and slots", "[update]\nslots = \"/s\"\nuboot_config = \"/etc/fw_env.config\"\nrootfs_a = \"/a\"\nrootfs_b = \"/b\"", "update.slots"},

		{"area_code ok", `area_code = "110101"`, ""},
		{"area_code short", `area_code = "37090"`, "area_code"},
		{"area_code letters", `area_code = "37090a"`, "area_code"},
		{"area_code fullwidth digits", `area_code = "３７０９００"`, "area_code"},

		{"hall ok", `hall = "` + long("大", 40) + `"`, ""},
		{"hall empty", `hall = ""`, "hall"},
		{"hall 41", `hall = "` + long("大", 41) + `"`, "hall"},
		{"hall control", `hall = "a\tb"`, "hall"},

		{"window ok", `window = "` + long("窗", 16) + `"`, ""},
		{"window empty", `window = ""`, "window"},
		{"window 17", `window = "` + long("1", 17) + `"`, "window"},
		{"window newline", `window = "1\n"`, "window"},

		{"channel ok", `channel = "Ab12"`, ""},
		{"channel empty", `channel = ""`, "channel"},
		{"channel 9", `channel = "123456789"`, "channel"},
		{"channel dash", `channel = "4-1"`, "channel"},

		{"timezone ok", `timezone = "UTC"`, ""},
		{"timezone urumqi", `timezone = "Asia/Urumqi"`, ""},
		{"timezone empty", `timezone = ""`, "timezone"},
		{"timezone unknown", `timezone = "Mars/Olympus"`, "timezone"},

		{"data_dir empty", `data_dir = ""`, ""},
		{"data_dir abs", `data_dir = "/var/lib/evalpad"`, ""},
		{"data_dir relative", `data_dir = "var/lib"`, "data_dir"},
		{"data_dir control", `data_dir = "/var/\u0000x"`, "data_dir"},

		{"staff.id ok", "[staff]\nid = \"" + long("7", 32) + `"`, ""},
		{"staff.id 33", "[staff]\nid = \"" + long("7", 33) + `"`, "staff.id"},
		{"staff.id slash", "[staff]\nid = \"a/b\"", "staff.id"},
		{"staff.id phone", "[staff]\nid = \"13912345678\"", "staff.id"},
		{"staff.id phone hyphens", "[staff]\nid = \"139-1234-5678\"", "staff.id"},
		{"staff.id phone fullwidth", "[staff]\nid = \"１３９１２３４５６７８\"", "staff.id"},
		{"staff.id resident ID", "[staff]\nid = \"11010519491231002X\"", "staff.id"},
		{"staff.id old resident ID", "[staff]\nid = \"110105491231002\"", "staff.id"},
		{"staff.name ok", "[staff]\nname = \"" + long("张", 20) + `"`, ""},
		{"staff.name 21", "[staff]\nname = \"" + long("张", 21) + `"`, "staff.name"},
		{"staff.name control", "[staff]\nname = \"张\\u0007三\"", "staff.name"},
		{"staff.photo relative", "[staff]\nphoto = \"photos/007.jpg\"", ""},
		{"staff.photo absolute", "[staff]\nphoto = \"/srv/photos/007.jpg\"", ""},
		{"staff.photo control", "[staff]\nphoto = \"a\\nb.jpg\"", "staff.photo"},

		{"api.listen ok", "[api]\nlisten = \":0\"\ntoken = \"0123456789abcdef\"", ""},
		{"api.listen localhost", "[api]\nlisten = \"localhost:8080\"", ""},
		{"api.listen 127.0.0.2", "[api]\nlisten = \"127.0.0.2:8080\"", ""},
		{"api.listen all no token", "[api]\nlisten = \":8080\"", "api.token"},
		{"api.listen 0.0.0.0 no token", "[api]\nlisten = \"0.0.0.0:8080\"", "api.token"},
		{"api.listen [::] no token", "[api]\nlisten = \"[::]:8080\"", "api.token"},
		{"api.listen LAN no token", "[api]\nlisten = \"192.168.1.20:8080\"", "api.token"},
		{"api.listen name no token", "[api]\nlisten = \"pad-w12.hall.lan:8080\"", "api.token"},
		{"api.listen 0.0.0.0 token", "[api]\nlisten = \"0.0.0.0:8080\"\ntoken = \"0123456789abcdef\"", ""},
		{"api.listen ipv6", "[api]\nlisten = \"[::1]:65535\"", ""},
		{"api.listen no port", "[api]\nlisten = \"127.0.0.1\"", "api.listen"},
		{"api.listen port range", "[api]\nlisten = \"127.0.0.1:65536\"", "api.listen"},
		{"api.listen port name", "[api]\nlisten = \"localhost:http\"", "api.listen"},
		{"api.listen empty", "[api]\nlisten = \"\"", "api.listen"},

		{"api.token empty", "[api]\ntoken = \"\"", ""},
		{"api.token 16", "[api]\ntoken = \"0123456789abcdef\"", ""},
		{"api.token 15", "[api]\ntoken = \"0123456789abcde\"", "api.token"},
		{"api.token space", "[api]\ntoken = \"0123456789 abcdef\"", "api.token"},
		{"api.token non-ascii", "[api]\ntoken = \"0123456789abcdef令\"", "api.token"},

		{"api.hosts ok", "[api]\nhosts = [\"192.168.1.20\", \"fe80::1\", \"pad-w12.hall.lan\"]", ""},
		{"api.hosts port", "[api]\nhosts = [\"192.168.1.20:8080\"]", "api.hosts[0]"},
		{"api.hosts space", "[api]\nhosts = [\"pad.lan\", \"a b\"]", "api.hosts[1]"},
		{"api.origins ok", "[api]\norigins = [\"http://zc.hall.lan\", \"https://192.168.1.9:8443\"]", ""},
		{"api.origins path", "[api]\norigins = [\"http://zc.hall.lan/\"]", "api.origins[0]"},
		{"api.origins scheme", "[api]\norigins = [\"zc.hall.lan\"]", "api.origins[0]"},
		{"api.origins upper", "[api]\norigins = [\"http://ZC.hall.lan\"]", "api.origins[0]"},
		{"api.origins null", "[api]\norigins = [\"null\"]", "api.origins[0]"},
		{"api.rate min", "[api]\nrate = 1\nburst = 1", ""},
		{"api.rate 0", "[api]\nrate = 0", "api.rate"},
		{"api.rate high", "[api]\nrate = 10001\nburst = 20000", "api.rate"},
		{"api.burst below rate", "[api]\nrate = 20\nburst = 19", "api.burst"},
		{"api.burst high", "[api]\nburst = 100001", "api.burst"},

		{"session_timeout min", "[rules]\nsession_timeout = \"30s\"", ""},
		{"session_timeout max", "[rules]\nsession_timeout = \"24h\"", ""},
		{"session_timeout low", "[rules]\nsession_timeout = \"29s\"", "rules.session_timeout"},
		{"session_timeout high", "[rules]\nsession_timeout = \"2d\"", "rules.session_timeout"},
		{"reasons_timeout ok", "[rules]\nreasons_timeout = \"5s\"", ""},
		{"reasons_timeout low", "[rules]\nreasons_timeout = \"4.9s\"", "rules.reasons_timeout"},
		{"reasons_timeout high", "[rules]\nreasons_timeout = \"11m\"", "rules.reasons_timeout"},
		{"thanks_duration zero", "[rules]\nthanks_duration = \"0s\"", ""},
		{"thanks_duration high", "[rules]\nthanks_duration = \"61s\"", "rules.thanks_duration"},
		{"thanks_duration negative", "[rules]\nthanks_duration = \"-1s\"", "rules.thanks_duration"},
		{"min_interval zero", "[rules]\nmin_interval = \"0\"", ""},
		{"min_interval high", "[rules]\nmin_interval = \"10m1s\"", "rules.min_interval"},
		{"walkin true", "[rules]\nwalkin = true", ""},

		{"outbox_max min", "[store]\noutbox_max = 100", ""},
		{"outbox_max max", "[store]\noutbox_max = 10000000", ""},
		{"outbox_max low", "[store]\noutbox_max = 99", "store.outbox_max"},
		{"outbox_max high", "[store]\noutbox_max = 10000001", "store.outbox_max"},
		{"retention min", "[store]\nretention = \"1h\"", ""},
		{"retention max", "[store]\nretention = \"365d\"", ""},
		{"retention low", "[store]\nretention = \"59m\"", "store.retention"},
		{"retention high", "[store]\nretention = \"8761h\"", "store.retention"},

		{"reasons.1 ok", "[[reasons.1]]\ncode = \"x1\"\ntext = \"太慢\"", ""},
		{"reasons.1 empty", "[reasons]\n1 = []", "reasons.1"},
		{"reasons.1 code empty", "[[reasons.1]]\ncode = \"\"\ntext = \"太慢\"", "reasons.1[0].code"},
		{"reasons.1 text missing", "[[reasons.1]]\ncode = \"x1\"", "reasons.1[0].text"},
		{"reasons.2 code twice", "[[reasons.2]]\ncode = \"108\"\ntext = \"重复\"", "reasons.2[0].code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tc.toml))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tc.toml, err)
				}
				if err := c.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error naming %s", tc.toml, tc.field)
			}
			want := "config: " + tc.field
			if msg := err.Error(); !strings.HasPrefix(msg, want+":") && !strings.HasPrefix(msg, want+" (line") {
				t.Fatalf("Parse(%q) = %q, want it to start with %q", tc.toml, msg, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("want one error line, got %q", err)
			}
		})
	}
}

func TestValidateMessage(t *testing.T) {
	c := config.Default()
	c.Rules.SessionTimeout = config.Duration{Duration: 5 * time.Second}
	err := c.Validate()
	const want = "config: rules.session_timeout: must be between 30s and 24h0m0s (got 5s)"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate = %v, want %q", err, want)
	}
}

// TestValidateRefusesFormatChars puts each kind of invisible character into
// each text of the config: one error line naming the field.
func TestValidateRefusesFormatChars(t *testing.T) {
	for _, ch := range []string{`\u202e`, `\u2066`, `\u200b`, `\u200f`, `\ufeff`, `\u2060`, `\u00ad`, `\U000E0041`, `\u0007`, `\u2028`} {
		for field, toml := range map[string]string{
			"hall":              `hall = "泰安` + ch + `"`,
			"window":            `window = "1` + ch + `"`,
			"staff.name":        "[staff]\nname = \"李" + ch + "四\"",
			"staff.photo":       "[staff]\nphoto = \"/p/" + ch + ".png\"",
			"data_dir":          `data_dir = "/var/lib/` + ch + `"`,
			"texts.thanks":      "[texts]\nthanks = \"谢谢" + ch + "\"",
			"reasons.1[0].text": "[[reasons.1]]\ncode = \"x1\"\ntext = \"太" + ch + "慢\"",
			"reasons.1[0].code": "[[reasons.1]]\ncode = \"x" + ch + "\"\ntext = \"太慢\"",
			"receipt.key":       "[receipt]\nkey = \"0123456789abcdef" + ch + "\"",
			"display.font":      "[display]\nfont = \"/f" + ch + ".ttf\"",
		} {
			_, err := config.Parse([]byte(toml))
			if err == nil || !strings.HasPrefix(err.Error(), "config: "+field+": ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: Parse = %v, want one line naming %s", toml, err, field)
			}
		}
	}
}

func TestValidateTokenNotEchoed(t *testing.T) {
	c := config.Default()
	c.API.Token = "secret token 123456"
	err := c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "config: api.token: ") {
		t.Fatalf("Validate = %v, want an api.token error", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q repeats the token", err)
	}
}

func TestValidateAllFields(t *testing.T) {
	// Validate reports every bad field, one line each, in field order.
	c := config.Config{}
	err := c.Validate()
	if err == nil {
		t.Fatal("zero Config is valid")
	}
	want := []string{
		"device_id", "area_code", "hall", "window", "channel", "timezone",
		"api.listen", "api.rate", "rules.session_timeout", "rules.reasons_timeout",
		"store.outbox_max", "store.retention",
		"display.size", "display.star_order", "display.scan_url", "printer.paper", "printer.qr",
		"buttons.debounce", "buttons.serial_baud", "panel.spi_hz",
		"sync.batch", "sync.max_message_bytes", "sync.inflight", "sync.ack_timeout", "sync.retry_min", "sync.retry_max",
		"update.trial", "update.boot_limit", "reasons.1",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for i, f := range want {
		if !strings.HasPrefix(lines[i], "config: "+f+": ") {
			t.Errorf("line %d = %q, want field %s", i, lines[i], f)
		}
	}
}

func TestValidateReasonsPrefix(t *testing.T) {
	c := config.Default()
	c.Reasons.One = append([]rating.Reason(nil), c.Reasons.One...)
	c.Reasons.One[2].Code = ""
	err := c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "config: reasons.1[2].code: ") {
		t.Fatalf("Validate = %v, want config: reasons.1[2].code: …", err)
	}
}

func TestLocation(t *testing.T) {
	loc, err := config.Default().Location()
	if err != nil {
		t.Fatal(err)
	}
	if loc.String() != "Asia/Shanghai" {
		t.Errorf("Location = %v", loc)
	}
	c := config.Default()
	c.Timezone = "Nowhere/Else"
	if _, err := c.Location(); err == nil || !strings.HasPrefix(err.Error(), "config: timezone: ") {
		t.Errorf("Location = %v, want config: timezone: …", err)
	}
}

func TestDisplayPrinterReceipt(t *testing.T) {
	for _, tc := range []struct{ toml, field string }{
		{"[display]\nsize = \"640x480\"", "display.size"},
		{"[display]\nstar_order = [1,2,3,4,4]", "display.star_order"},
		{"[display]\nstar_order = [1,2,3,4]", "display.star_order"},
		{"[display]\nscan_url = \"ftp://x/y\"", "display.scan_url"},
		{"[display]\nscan_url = \"https://x/y?a=1\"", "display.scan_url"},
		{"[printer]\npaper = 76", "printer.paper"},
		{"[printer]\nqr = \"bitmap\"", "printer.qr"},
		{"[receipt]\nkey = \"short\"", "receipt.key"},
		{"[receipt]\nkey_id = \"k.1\"", "receipt.key_id"},
		{"[receipt]\nkey_id = \"k123456789abcdefg\"", "receipt.key_id"},
	} {
		_, err := config.Parse([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), "config: "+tc.field+": ") {
			t.Errorf("%q: %v, want an error naming %s", tc.toml, err, tc.field)
		}
	}
	c, err := config.Parse([]byte("[display]\nsize = \"480x320\"\nstar_order = [1,2,3,4,5]\nbuttons_only = true\n[printer]\npaper = 58\nqr = \"raster\"\n[receipt]\nkey = \"0123456789abcdef\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w, h, _ := c.Display.Dimensions(); w != 480 || h != 320 || !c.Display.ButtonsOnly || c.Display.StarOrder[0] != 1 ||
		c.Printer.Paper != 58 || c.Printer.QR != "raster" || c.Receipt.Key != "0123456789abcdef" {
		t.Errorf("parsed %+v", c)
	}
}

func TestHardwareSections(t *testing.T) {
	for _, tc := range []struct{ toml, field string }{
		{"[buttons]\ndriver = \"usb\"", "buttons.driver"},
		{"[buttons]\ndriver = \"gpio\"", "buttons.gpio_pins"},
		{"[buttons]\ndriver = \"gpio\"\ngpio_pins = {6 = \"GPIO1\"}", "buttons.gpio_pins"},
		{"[buttons]\ndriver = \"evdev\"", "buttons.evdev_path"},
		{"[buttons]\nevdev_keys = {2 = 7}", "buttons.evdev_keys"},
		{"[buttons]\ndriver = \"serial\"", "buttons.serial_port"},
		{"[buttons]\ndebounce = \"2s\"", "buttons.debounce"},
		{"[touch]\nrotate = 45", "touch.rotate"},
		{"[touch]\npath = \"event0\"", "touch.path"},
		{"[panel]\ndriver = \"hdmi\"", "panel.driver"},
		{"[panel]\ndriver = \"fb\"\nfb_geometry = \"1024x600x24\"", "panel.fb_geometry"},
		{"[panel]\ndriver = \"st7789\"", "panel.dc_pin"},
		{"[printer]\nuri = \"lpt1\"", "printer.uri"},
		{"[printer]\nuri = \"tcp://printer\"", "printer.uri"},
		{"[sync]\nbroker = \"http://hub:1883\"", "sync.broker"},
		{"[sync]\ncentral_key = \"AAAA\"", "sync.central_key"},
		{"[sync]\ncert_file = \"/etc/evalpad/c.pem\"", "sync.key_file"},
		{"[sync]\nbatch = 0", "sync.batch"},
		{"[sync]\nmax_message_bytes = 1000", "sync.max_message_bytes"},
		{"[sync]\nmax_message_bytes = 67108865", "sync.max_message_bytes"},
		{"[sync]\nmax_message_bytes = -1", "sync.max_message_bytes"},
		{"[sync]\nretry_min = \"10s\"\nretry_max = \"5s\"", "sync.retry_max"},
	} {
		_, err := config.Parse([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), "config: "+tc.field+": ") {
			t.Errorf("%q: %v, want an error naming %s", tc.toml, err, tc.field)
		}
	}
	c, err := config.Parse([]byte(`
[buttons]
driver = "gpio"
gpio_pins = {5 = "GPIO17", 4 = "GPIO27", 3 = "GPIO22", 2 = "GPIO23", 1 = "GPIO24"}
led = "GPIO5"
[touch]
path = "/dev/input/event1"
rotate = 180
[panel]
driver = "fb"
fb_path = "/tmp/fb"
fb_geometry = "480x320x16"
[printer]
uri = "tcp://127.0.0.1:9100"
`))
	if err != nil {
		t.Fatal(err)
	}
	w, h, bpp, err := c.Panel.Geometry()
	if c.Buttons.GPIOPins["5"] != "GPIO17" || len(c.Buttons.GPIOPins) != 5 || c.Touch.Rotate != 180 ||
		w != 480 || h != 320 || bpp != 16 || err != nil || c.Printer.URI != "tcp://127.0.0.1:9100" {
		t.Errorf("parsed %+v", c)
	}
}

func TestTexts(t *testing.T) {
	c, err := config.Parse([]byte("[texts]\nthanks = \"感谢您的评价，欢迎再来\"\npaused = \"午间休息\"\n"))
	if err != nil || c.Texts["thanks"] != "感谢您的评价，欢迎再来" || c.Texts["paused"] != "午间休息" {
		t.Fatalf("%+v %v", c.Texts, err)
	}
	for _, bad := range []struct{ toml, field string }{
		{"[texts]\nthankyou = \"x\"", "texts.thankyou"},
		{"[texts]\nthanks = \"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一\"", "texts.thanks"},
	} {
		if _, err := config.Parse([]byte(bad.toml)); err == nil || !strings.Contains(err.Error(), "config: "+bad.field+": ") {
			t.Errorf("%q: %v, want an error naming %s", bad.toml, err, bad.field)
		}
	}
}

// The ST7789 module keys, the small display sizes and the printer's
// dialect: each bad value is an error naming its key and saying what is
// wanted.
func TestPanelModuleAndPrinterProfile(t *testing.T) {
	c, err := config.Parse([]byte(`
[display]
size = "135x240"
[panel]
driver = "st7789"
dc_pin = "GPIO25"
rotate = 180
offset_x = 52
offset_y = 40
invert = false
bgr = true
spi_mode = 0
[printer]
status = false
profile = "gb2312-only"
`))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Panel; p.OffsetX != 52 || p.OffsetY != 40 || p.Invert || !p.BGR || p.SPIMode != 0 || c.Printer.Status || c.Printer.Profile != "gb2312-only" {
		t.Errorf("parsed panel %+v, printer %+v", c.Panel, c.Printer)
	}
	if w, h, err := c.Display.Dimensions(); w != 135 || h != 240 || err != nil {
		t.Errorf("Dimensions() = %d, %d, %v", w, h, err)
	}
	d := config.Default()
	if !d.Panel.Invert || d.Panel.SPIMode != 3 || !d.Printer.Status || d.Printer.Profile != "epson" {
		t.Errorf("defaults: panel %+v, printer %+v", d.Panel, d.Printer)
	}
	for _, size := range []string{"240x240", "170x320", "240x320", "135x240", "320x240", "480x320", "800x480", "1024x600"} {
		if _, err := config.Parse([]byte("[display]\nsize = \"" + size + "\"")); err != nil {
			t.Errorf("size %s: %v", size, err)
		}
	}
	st := "[panel]\ndriver = \"st7789\"\ndc_pin = \"GPIO25\"\n"
	for _, tc := range []struct{ toml, field, text string }{
		{"[display]\nsize = \"240x135\"", "display.size", `must be one of 1024x600, 800x480, 480x320, 320x240, 240x320, 240x240, 170x320, 135x240, got "240x135"`},
		{"[panel]\nspi_mode = 4", "panel.spi_mode", "must be 0, 1, 2 or 3"},
		{"[panel]\nspi_mode = -1", "panel.spi_mode", "must be 0, 1, 2 or 3"},
		{"[panel]\noffset_x = 240", "panel.offset_x", "between 0 and 239"},
		{"[panel]\noffset_y = -2", "panel.offset_y", "between 0 and 319"},
		{"[display]\nsize = \"135x240\"\n" + st + "offset_x = 110", "panel.offset_x",
			"a 135×240 module (display.size 135x240 at panel.rotate 0) at offset (110,0) does not fit the ST7789's 240×320 RAM"},
		{"[display]\nsize = \"320x240\"\n" + st + "rotate = 90\noffset_y = 1", "panel.offset_y", "a 240×320 module (display.size 320x240 at panel.rotate 90) at offset (0,1)"},
		{"[display]\nsize = \"480x320\"\n" + st, "display.size", "a 480×320 module"},
		{"[printer]\nprofile = \"star\"", "printer.profile", `must be one of epson, citizen-presenter, gb2312-only, black-mark, got "star"`},
		{"[printer]\nstatus = \"no\"", "printer.status", "incompatible types"},
	} {
		_, err := config.Parse([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), "config: "+tc.field) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%q: %v, want an error naming %s with %q", tc.toml, err, tc.field, tc.text)
		}
	}
}
