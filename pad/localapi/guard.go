package localapi

import (
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"

	"evalpad/pad"
)

// GuardOptions are the LAN rules of the pad's HTTP server (config [api]).
type GuardOptions struct {
	// Listen is the server's address (api.listen); its host is one the
	// server answers to, unless it is unspecified (0.0.0.0, ::, "").
	Listen string
	// Hosts are the other names and addresses the pad is called by
	// (api.hosts), without port. Loopback names always pass.
	Hosts []string
	// Origins are the browser origins allowed besides the server's own
	// (api.origins), as "http(s)://host[:port]".
	Origins []string
	// Rate and Burst are the token bucket of each LAN client (api.rate,
	// api.burst): Rate requests a second, Burst at once. Clients on the
	// loopback are not limited. Rate 0 turns the limit off.
	Rate, Burst int
	// Clock times the buckets; nil is the system clock.
	Clock  pad.Clock
	Logger *slog.Logger
}

// Guard checks every request before the routes (the API's and the
// simulator's): the client's rate, the Host, the Origin and the
// Content-Type, in that order; doc.go says why. A refused request gets a
// JSON error and reaches no handler.
type Guard struct {
	next    http.Handler
	listen  string // listen's host, "" when unspecified
	hosts   map[string]bool
	origins map[string]bool
	limit   *limiter // nil: no rate limit
	log     *slog.Logger
}

var _ http.Handler = (*Guard)(nil)

// NewGuard wraps next in the rules of o.
func NewGuard(next http.Handler, o GuardOptions) *Guard {
	g := &Guard{next: next, hosts: map[string]bool{}, origins: map[string]bool{}, log: o.Logger}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if host, _, err := net.SplitHostPort(o.Listen); err == nil {
		if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
			g.listen = strings.ToLower(host)
		}
	}
	for _, h := range o.Hosts {
		g.hosts[strings.ToLower(h)] = true
	}
	for _, x := range o.Origins {
		g.origins[strings.ToLower(x)] = true
	}
	if o.Rate > 0 {
		clock := o.Clock
		if clock == nil {
			clock = pad.SystemClock{}
		}
		g.limit = newLimiter(float64(o.Rate), float64(max(o.Burst, o.Rate)), clock)
	}
	return g
}

// ServeHTTP applies the rules, then next.
func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := remoteIP(r)
	if g.limit != nil && !ip.IsLoopback() {
		if wait, ok := g.limit.allow(ip); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			Error(w, http.StatusTooManyRequests, "too many requests from "+ip.String()+"; try again in "+strconv.Itoa(wait)+" s")
			return
		}
	}
	if !g.hostAllowed(r.Host) {
		g.log.Warn("local API: request for a foreign Host refused", "remote", r.RemoteAddr, "host", r.Host, "path", r.URL.Path)
		Error(w, http.StatusMisdirectedRequest, "this pad does not answer to Host "+strconv.Quote(r.Host)+"; add it to api.hosts")
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !g.originAllowed(origin, r) {
		g.log.Warn("local API: cross-origin request refused", "remote", r.RemoteAddr, "origin", origin, "path", r.URL.Path)
		Error(w, http.StatusForbidden, "requests from origin "+strconv.Quote(origin)+" are not allowed; add it to api.origins")
		return
	}
	if !jsonOrNoBody(r) {
		Error(w, http.StatusUnsupportedMediaType, "a request body must be Content-Type: application/json")
		return
	}
	g.next.ServeHTTP(w, r)
}

// hostAllowed: the Host header names loopback, the listen address's host,
// or one of api.hosts. A web page on a name its attacker controls and then
// points at the pad's address (DNS rebinding) sends its own name.
func (g *Guard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "" {
		return false
	}
	if host == "localhost" || g.hosts[host] || host == g.listen {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// originAllowed: the request's Origin is the server's own (the scheme and
// the Host it was called by, already checked) or one of api.origins.
func (g *Guard) originAllowed(origin string, r *http.Request) bool {
	origin = strings.ToLower(origin)
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return origin == scheme+strings.ToLower(r.Host) || g.origins[origin]
}

// jsonOrNoBody: a request that has a body, or says what its body is, says
// application/json. An HTML form or a no-cors fetch can only send
// text/plain, multipart/form-data or application/x-www-form-urlencoded
// without the browser asking the server first.
func jsonOrNoBody(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return r.ContentLength == 0
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// remoteIP is the client's address; an unparsable one is not loopback.
func remoteIP(r *http.Request) net.IP {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip
	}
	return net.IPv4zero
}
