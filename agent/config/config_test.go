package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"evalpad/agent/config"
	"evalpad/rating"
)

func TestDefaultValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestExampleIsDefault keeps example.toml, the documented reference, true.
func TestExampleIsDefault(t *testing.T) {
	c, err := config.Parse(config.Example())
	if err != nil {
		t.Fatal(err)
	}
	if want := config.Default(); !reflect.DeepEqual(c, want) {
		t.Fatalf("Parse(example.toml) = %+v\nwant Default() = %+v", c, want)
	}
	disk, err := os.ReadFile("example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(disk) != string(config.Example()) {
		t.Error("Example() differs from example.toml")
	}
}

// TestExampleHasEveryField checks that example.toml sets every key that
// Marshal writes, so it documents them all.
func TestExampleHasEveryField(t *testing.T) {
	b, err := config.Marshal(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	ex := string(config.Example())
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		key, _, ok := strings.Cut(line, " = ")
		if !ok {
			continue
		}
		if !strings.Contains(ex, "\n"+key+" = ") {
			t.Errorf("example.toml does not set %q", key)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	c, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, config.Default()) {
		t.Errorf("Parse(nil) = %+v, want Default()", c)
	}
}

func TestParseOverDefaults(t *testing.T) {
	c, err := config.Parse([]byte(`
device_id = "PAD-0042"
window = "12号窗口"

[staff]
name = "张三"

[rules]
walkin = true
session_timeout = "30m"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.DeviceID = "PAD-0042"
	want.Window = "12号窗口"
	want.Staff.Name = "张三"
	want.Rules.Walkin = true
	want.Rules.SessionTimeout = config.Duration{Duration: 30 * time.Minute}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Parse = %+v\nwant %+v", c, want)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		toml string
		want []string // substrings of the error
	}{
		{"unknown key", "[rules]\nwalk_in = true\n", []string{`config: unknown field "rules.walk_in"`}},
		{"unknown top key", "devide_id = \"x\"\n", []string{`config: unknown field "devide_id"`}},
		{"unknown table", "[scanner]\nport = 1\n[rules]\nwalkin = true\n", []string{`config: unknown field "scanner"`}},
		{"unknown reasons key", "[[reasons.1]]\ncode = \"1\"\ntext = \"a\"\nscore = 1\n", []string{`config: unknown field "reasons.1.score"`}},
		{"unknown reasons level", "[[reasons.3]]\ncode = \"1\"\ntext = \"a\"\n", []string{`config: unknown field "reasons.3"`}},
		{"case variant", "DEVICE_ID = \"x\"\n", []string{`config: unknown field "DEVICE_ID"`, `"device_id"`}},
		{"case variant nested", "[Rules]\nwalkin = true\n", []string{`config: unknown field "Rules"`}},
		{"fold variant", "[\"ſtaff\"]\nname = \"x\"\n", []string{`config: unknown field`, "ſtaff"}},
		{"syntax", "device_id = \"x\"\nwindow 3\n", []string{"config: line 2", "expected"}},
		{"unterminated string", "hall = \"泰安\n", []string{"config: line 1"}},
		{"duplicate key", "window = \"1\"\nwindow = \"2\"\n", []string{"config: line 2", "window"}},
		{"bool as string", "[rules]\nwalkin = \"yes\"\n", []string{"config: rules.walkin (line 2): ", "boolean"}},
		{"string as int", "window = 3\n", []string{"config: window (line 1): ", "string"}},
		{"int as string", "[store]\noutbox_max = \"500\"\n", []string{"config: store.outbox_max (line 2): ", "integer"}},
		{"float as int", "[store]\noutbox_max = 1.5\n", []string{"config: store.outbox_max (line 2): "}},
		{"table as value", "rules = 5\n", []string{"config: rules (line 1): "}},
		{"bad duration", "[rules]\nmin_interval = \"3 seconds\"\n", []string{"config: rules.min_interval (line 2): ", `"3 seconds"`}},
		{"duration as number", "[rules]\nmin_interval = 3\n", []string{"config: rules.min_interval (line 2): "}},
		{"duration as table", "[rules.min_interval]\nx = 1\n", []string{"config: rules.min_interval"}},
		{"reasons as string", "reasons = \"none\"\n", []string{"config: reasons (line 1): "}},
		{"reason code as int", "[[reasons.1]]\ncode = 108\ntext = \"a\"\n", []string{"config: reasons.1.code (line 2): "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.toml))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.toml)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config: ") {
				t.Errorf("error %q lacks the config: prefix", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestParseManyUnknown(t *testing.T) {
	_, err := config.Parse([]byte("a = 1\n[b]\nc = 1\nd.e = 2\n[rules]\nx = 1\n"))
	want := "config: unknown field \"a\"\nconfig: unknown field \"b\"\nconfig: unknown field \"rules.x\""
	if err == nil || err.Error() != want {
		t.Fatalf("Parse = %v, want\n%s", err, want)
	}
}

func TestReasonsReplace(t *testing.T) {
	def := rating.DefaultReasons()
	cases := []struct {
		name string
		toml string
		want rating.Reasons
	}{
		{"none given", "", def},
		{"level 1 replaced", `
[[reasons.1]]
code = "901"
text = "材料要求不清楚"
[[reasons.1]]
code = "902"
text = "等候时间太长"
`, rating.Reasons{
			One: []rating.Reason{{Code: "901", Text: "材料要求不清楚"}, {Code: "902", Text: "等候时间太长"}},
			Two: def.Two,
		}},
		// Only code given: text must not leak in from the default entry.
		{"level 2 replaced inline", `reasons.2 = [{code = "213", text = "不熟练"}]`, rating.Reasons{
			One: def.One,
			Two: []rating.Reason{{Code: "213", Text: "不熟练"}},
		}},
		{"both replaced", "[reasons]\n1 = [{code = \"a\", text = \"甲\"}]\n2 = [{code = \"b\", text = \"乙\"}]\n", rating.Reasons{
			One: []rating.Reason{{Code: "a", Text: "甲"}},
			Two: []rating.Reason{{Code: "b", Text: "乙"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tc.toml))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Reasons, tc.want) {
				t.Errorf("Reasons = %+v\nwant %+v", c.Reasons, tc.want)
			}
		})
	}
	// A partial entry is not merged with the default entry at that index.
	_, err := config.Parse([]byte("[[reasons.1]]\ncode = \"108\"\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "config: reasons.1[0].text: ") {
		t.Errorf("entry without text: Parse = %v, want config: reasons.1[0].text: …", err)
	}
}

func TestParseDoesNotShareDefaults(t *testing.T) {
	a, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Reasons.One[0].Text = "changed"
	if config.Default().Reasons.One[0].Text == "changed" {
		t.Error("Parse result shares reason slices with Default")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	c := config.Default()
	c.DeviceID = "PAD-7"
	c.Hall = `东平县"便民"服务中心\`
	c.DataDir = "/var/lib/evalpad"
	c.Staff = config.Staff{ID: "0815", Name: "李四", Photo: "photos/0815.png"}
	c.API.Listen, c.API.Token = "[::]:9000", "0123456789abcdef~!"
	c.API.Hosts, c.API.Origins = []string{"192.168.1.20", "pad-w12.hall.lan"}, []string{"http://zc.hall.lan"}
	c.API.Rate, c.API.Burst = 5, 10
	c.Rules.SessionTimeout = config.Duration{Duration: 90*time.Minute + 1500*time.Millisecond}
	c.Rules.ThanksDuration = config.Duration{}
	c.Store.Retention = config.Duration{Duration: 48 * time.Hour}
	c.Reasons.Two = []rating.Reason{{Code: "x", Text: `引号"和\反斜杠`}}
	b, err := config.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.Parse(b)
	if err != nil {
		t.Fatalf("Parse(Marshal(c)): %v\n%s", err, b)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v\n%s", back, c, b)
	}
}

func TestMarshalInvalid(t *testing.T) {
	c := config.Default()
	c.AreaCode = "1"
	if _, err := config.Marshal(c); err == nil || !strings.HasPrefix(err.Error(), "config: area_code: ") {
		t.Errorf("Marshal = %v, want config: area_code: …", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.toml")
	_, err := config.Load(missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "config: ") || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) = %v, want config: prefix and the path", err)
	}

	good := filepath.Join(dir, "good.toml")
	if err := os.WriteFile(good, []byte("window = \"7\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(good)
	if err != nil || c.Window != "7" {
		t.Errorf("Load(good) = %+v, %v", c, err)
	}

	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("window = \"\"\n[rules]\nmin_interval = \"1h\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(bad)
	want := "config: " + bad + ": window: must be 1 to 16 characters (got 0)\n" +
		"config: " + bad + ": rules.min_interval: must be between 0s and 10m0s (got 1h0m0s)"
	if err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v\nwant %s", err, want)
	}
}
