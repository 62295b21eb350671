package localapi

import (
	"math"
	"net"
	"sync"
	"time"

	"evalpad/pad"
)

// maxClients bounds the buckets kept: when a new client would pass it, the
// buckets that have filled up again (idle clients) are dropped; if none
// has, the new client waits like one whose bucket is empty.
const maxClients = 4096

// limiter is a token bucket per client: IPv4 addresses one by one, IPv6
// by /64 (one host may hold a whole /64). A bucket holds up to burst
// tokens, gains rate a second, and a request takes one.
type limiter struct {
	rate, burst float64
	clock       pad.Clock

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func newLimiter(rate, burst float64, clock pad.Clock) *limiter {
	return &limiter{rate: rate, burst: burst, clock: clock, buckets: map[string]*bucket{}}
}

// allow takes a token of ip's bucket; when there is none it says how many
// whole seconds until there is (Retry-After).
func (l *limiter) allow(ip net.IP) (wait int, ok bool) {
	key := clientKey(ip)
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxClients {
			l.dropIdle(now)
		}
		if len(l.buckets) >= maxClients {
			return 1, false
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return max(1, int(math.Ceil((1-b.tokens)/l.rate))), false
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Seconds()*l.rate)
	}
	b.at = now
}

// dropIdle forgets the buckets that are full again: their clients have
// been quiet long enough that a new bucket is the same.
func (l *limiter) dropIdle(now time.Time) {
	for k, b := range l.buckets {
		if l.refill(b, now); b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}

func clientKey(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String()
}
