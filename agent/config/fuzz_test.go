package config_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"evalpad/agent/config"
)

// FuzzParse: Parse never panics, every error starts with "config: ", and a
// parsed Config survives Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add(config.Example())
	def, err := config.Marshal(config.Default())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	for _, s := range []string{
		"",
		"[rules]\nwalkin = \"yes\"\n",
		"[rules]\nwalk_in = true\n",
		"device_id = \n",
		"[[reasons.1]]\ncode = \"1\"\n",
		"reasons.2 = [{code = \"x\", text = \"慢\"}]\n[store]\nretention = \"2d\"\n",
		"[rules]\nsession_timeout = \"-1h\"\n",
		"hall = \"a\\u0000b\"\n",
		"DEVICE_ID = \"x\"\n",
		"\xef\xbb\xbfwindow = \"2\"\n",
		"[api]\nlisten = \"0.0.0.0:8080\"\n",
		"[api]\nlisten = \"0.0.0.0:8080\"\ntoken = \"0123456789abcdef\"\nhosts = [\"192.168.1.20\"]\norigins = [\"http://zc.hall.lan\"]\nrate = 5\nburst = 5\n",
		"hall = \"\u202e心中务服\"\n[staff]\nid = \"13912345678\"\n",
		"[texts]\nthanks = \"谢\u200b谢\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Fatalf("error without config: prefix: %q", err)
			}
			return
		}
		b, err := config.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal of a parsed Config: %v", err)
		}
		back, err := config.Parse(b)
		if err != nil {
			t.Fatalf("Parse(Marshal(c)): %v\n%s", err, b)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip:\n got %#v\nwant %#v\n%s", back, c, b)
		}
	})
}

// FuzzMarshal builds Configs from fuzzed field values: whenever one is valid,
// Marshal and Parse give it back unchanged (string escaping, durations).
func FuzzMarshal(f *testing.F) {
	f.Add("泰安市政务服务中心", "1", "张三", "photos/1.jpg", "", "服务态度生硬", "/var/lib/evalpad", int64(600e9), int64(720*3600e9))
	f.Add(`a"b\c`, "窗\u00a0口", "", "/a b/\u2028.png", "0123456789abcdef\"\\'", "tab\tdel\x7f\r\n", "", int64(0), int64(3600e9+1))
	f.Fuzz(func(t *testing.T, hall, window, name, photo, token, text, dataDir string, session, retention int64) {
		c := config.Default()
		c.Hall, c.Window = hall, window
		c.Staff.Name, c.Staff.Photo = name, photo
		c.API.Token = token
		c.DataDir = dataDir
		c.Reasons.Two[0].Text = text
		c.Rules.SessionTimeout.Duration = time.Duration(session)
		c.Store.Retention.Duration = time.Duration(retention)
		if c.Validate() != nil {
			return
		}
		b, err := config.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal of a valid Config: %v", err)
		}
		back, err := config.Parse(b)
		if err != nil {
			t.Fatalf("Parse(Marshal(c)): %v\n%s", err, b)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip:\n got %#v\nwant %#v\n%s", back, c, b)
		}
	})
}
