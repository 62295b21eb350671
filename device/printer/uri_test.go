package printer

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want target
	}{
		{"serial:/dev/ttyS1?baud=19200", target{scheme: "serial", path: "/dev/ttyS1", baud: 19200}},
		{"serial:/dev/ttyUSB0", target{scheme: "serial", path: "/dev/ttyUSB0", baud: 9600}},
		{"serial:///dev/ttyAMA0?baud=115200", target{scheme: "serial", path: "/dev/ttyAMA0", baud: 115200}},
		{"file:/dev/usb/lp0", target{scheme: "file", path: "/dev/usb/lp0"}},
		{"file:///dev/usb/lp1", target{scheme: "file", path: "/dev/usb/lp1"}},
		{"tcp://10.0.0.5:9100", target{scheme: "tcp", addr: "10.0.0.5:9100"}},
		{"tcp://10.0.0.5", target{scheme: "tcp", addr: "10.0.0.5:9100"}},
		{"tcp://printer.local:9101/", target{scheme: "tcp", addr: "printer.local:9101"}},
		{"tcp://[fe80::1]:9100", target{scheme: "tcp", addr: "[fe80::1]:9100"}},
	} {
		got, err := parseURI(tc.uri)
		if err != nil || got != tc.want {
			t.Errorf("parseURI(%q) = %+v, %v; want %+v", tc.uri, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ uri, text string }{
		{"", "no scheme"},
		{"/dev/usb/lp0", "no scheme"},
		{"lpt:/dev/lp0", `unknown scheme "lpt"`},
		{"serial:", "want serial:"},
		{"serial:/dev/ttyS1?baud=fast", `baud "fast"`},
		{"serial:/dev/ttyS1?baud=0", `baud "0"`},
		{"serial:/dev/ttyS1?speed=9600", `unknown parameter "speed"`},
		{"serial:/dev/ttyS1?baud=9600&baud=19200", "baud given 2 times"},
		{"seriAl:////", "begins with //"},
		{"file:////dev/usb/lp0", "begins with //"},
		{"file:", "want file:"},
		{"file:/dev/usb/lp0?x=1", "no parameters"},
		{"tcp://", "want tcp://host:port"},
		{"tcp://10.0.0.5:port", "invalid port"},
		{"tcp://10.0.0.5:70000", `port "70000"`},
		{"tcp://10.0.0.5:9100/x", "want tcp://host:port"},
		{"tcp://:9100", "no host"},
		{"tcp://::", `host ":"`},
	} {
		_, err := parseURI(tc.uri)
		if !errors.Is(err, ErrURI) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), tc.uri) {
			t.Errorf("parseURI(%q) = %v, want ErrURI naming the URI and %q", tc.uri, err, tc.text)
		}
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"serial:/dev/ttyS1?baud=19200", "file:/dev/usb/lp0", "tcp://10.0.0.5:9100", "tcp://[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		tg, err := parseURI(uri)
		if err != nil {
			return
		}
		// What parses prints back as a URI that parses the same.
		again, err := parseURI(tg.String())
		if err != nil || again != tg {
			t.Fatalf("parseURI(%q) = %+v; its String %q parses to %+v, %v", uri, tg, tg.String(), again, err)
		}
	})
}
