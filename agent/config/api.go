package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// LoopbackListen reports whether api.listen's host is loopback only
// (127.0.0.0/8, ::1, "localhost"): no one on the LAN can reach it. An empty
// host (":8080") or 0.0.0.0 listens on every interface.
func LoopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (a API) validate(add func(string, error)) {
	for i, h := range a.Hosts {
		add(fmt.Sprintf("api.hosts[%d]", i), checkHost(h))
	}
	for i, o := range a.Origins {
		add(fmt.Sprintf("api.origins[%d]", i), checkOrigin(o))
	}
	if a.Rate < 1 || a.Rate > 10000 {
		add("api.rate", fmt.Errorf("must be between 1 and 10000 requests per second (got %d)", a.Rate))
	}
	if a.Burst < a.Rate || a.Burst > 100000 {
		add("api.burst", fmt.Errorf("must be between api.rate (%d) and 100000 (got %d)", a.Rate, a.Burst))
	}
}

// checkHost accepts what a Host header names: a DNS name or an IP address,
// without port.
func checkHost(h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	ok := len(h) >= 1 && len(h) <= 253 && h[0] != '.' && h[0] != '-'
	for i := 0; ok && i < len(h); i++ {
		b := h[i]
		ok = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '-'
	}
	if !ok {
		return fmt.Errorf("must be a host name or an IP address without port, e.g. \"192.168.1.20\" or \"pad-w12.hall.lan\" (got %q)", h)
	}
	return nil
}

// checkOrigin accepts a web origin as browsers send it: scheme://host[:port]
// with nothing after.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Scheme+"://"+u.Host != o ||
		strings.ToLower(o) != o {
		return fmt.Errorf("must be an origin http(s)://host[:port] in lower case, nothing after it, e.g. \"http://zc.hall.lan\" (got %q)", o)
	}
	if u.User != nil {
		return errors.New("must not carry a user or password")
	}
	return nil
}
