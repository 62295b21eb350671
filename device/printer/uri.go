package printer

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// target is a parsed printer URI.
type target struct {
	scheme string // "serial", "file" or "tcp"
	path   string // serial, file
	baud   int    // serial
	addr   string // tcp host:port
}

func (t target) String() string {
	switch t.scheme {
	case "tcp":
		return "tcp://" + t.addr
	case "serial":
		return fmt.Sprintf("serial:%s?baud=%d", t.path, t.baud)
	}
	return t.scheme + ":" + t.path
}

const (
	defaultBaud = 9600
	defaultPort = "9100"
)

// parseURI parses serial:/dev/ttyS1?baud=19200, file:/dev/usb/lp0 and
// tcp://host[:port].
func parseURI(uri string) (target, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return target{}, fmt.Errorf("%w %q: %v", ErrURI, uri, err)
	}
	bad := func(format string, a ...any) (target, error) {
		return target{}, fmt.Errorf("%w %q: %s", ErrURI, uri, fmt.Sprintf(format, a...))
	}
	path := u.Path
	if u.Opaque != "" {
		path = u.Opaque
	}
	// A device path never holds a control character; one decoded from
	// %00 or %0A would not print back as the same URI.
	if strings.ContainsFunc(path, unicode.IsControl) {
		return bad("control character in the path")
	}
	// Nor does it begin with "//": serial://// would print back as
	// serial://, whose "//" starts a host and leaves no path.
	if strings.HasPrefix(path, "//") {
		return bad("the path begins with // (want /dev/…)")
	}
	q := u.Query()
	switch u.Scheme {
	case "serial":
		t := target{scheme: "serial", path: path, baud: defaultBaud}
		if path == "" || u.Host != "" {
			return bad("want serial:/dev/ttyXXX?baud=N")
		}
		for k, v := range q {
			if k != "baud" {
				return bad("unknown parameter %q (serial takes baud)", k)
			}
			if len(v) != 1 {
				return bad("baud given %d times", len(v))
			}
			b, err := strconv.Atoi(v[0])
			if err != nil || b <= 0 {
				return bad("baud %q is not a positive number", v[0])
			}
			t.baud = b
		}
		return t, nil
	case "file":
		if path == "" || u.Host != "" {
			return bad("want file:/dev/usb/lpN")
		}
		if len(q) > 0 {
			return bad("file takes no parameters")
		}
		return target{scheme: "file", path: path}, nil
	case "tcp":
		if u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return bad("want tcp://host:port")
		}
		host, port := u.Hostname(), u.Port()
		if host == "" {
			return bad("no host")
		}
		if strings.Contains(host, ":") {
			if _, err := netip.ParseAddr(host); err != nil {
				return bad("host %q", host)
			}
		}
		if port == "" {
			port = defaultPort
		}
		if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
			return bad("port %q", port)
		}
		return target{scheme: "tcp", addr: net.JoinHostPort(host, port)}, nil
	case "":
		return bad("no scheme (want serial:, file: or tcp://)")
	default:
		return bad("unknown scheme %q (want serial:, file: or tcp://)", u.Scheme)
	}
}
