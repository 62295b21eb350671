package central

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limiter refuses a client that failed too often: after Max failures
// within Window of its first one, Allow says no until that window ends.
// It guards the routes a guess could get through (enrollment codes, API
// tokens). Safe for concurrent use; a zero Limiter uses the defaults.
type Limiter struct {
	Max    int           // failures allowed per window; default 10
	Window time.Duration // default 10 minutes

	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n     int
	first time.Time
}

// maxClients bounds the clients a Limiter remembers.
const maxClients = 10000

func (l *Limiter) params() (int, time.Duration) {
	max, win := l.Max, l.Window
	if max <= 0 {
		max = 10
	}
	if win <= 0 {
		win = 10 * time.Minute
	}
	return max, win
}

// Allow reports whether client may try now.
func (l *Limiter) Allow(client string, now time.Time) bool {
	max, win := l.params()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[client]
	if f == nil {
		return true
	}
	if now.Sub(f.first) >= win {
		delete(l.m, client)
		return true
	}
	return f.n < max
}

// Fail counts a failure of client.
func (l *Limiter) Fail(client string, now time.Time) {
	_, win := l.params()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*failures{}
	}
	f := l.m[client]
	if f == nil || now.Sub(f.first) >= win {
		if len(l.m) >= maxClients {
			for k, v := range l.m {
				if now.Sub(v.first) >= win {
					delete(l.m, k)
				}
			}
		}
		if len(l.m) >= maxClients {
			return // remembering more would let a flood grow the map without bound
		}
		f = &failures{first: now}
		l.m[client] = f
	}
	f.n++
}

// clientOf is who made r, for the limiters: the peer's IP address. A
// reverse proxy in front makes every client the proxy: it must limit on
// its own.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
