package localapi

import (
	"net"
	"testing"
	"time"

	"evalpad/pad/padtest"
)

// TestLimiterBounded: the buckets never pass maxClients. With every bucket
// in use a new client waits; once the others have been quiet long enough
// to fill up again, they are forgotten and the new client gets a bucket.
func TestLimiterBounded(t *testing.T) {
	clock := padtest.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	l := newLimiter(20, 40, clock)
	for i := range maxClients {
		ip := net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))
		if _, ok := l.allow(ip); !ok {
			t.Fatalf("client %d refused", i)
		}
	}
	newcomer := net.ParseIP("192.168.1.9")
	if wait, ok := l.allow(newcomer); ok || wait != 1 {
		t.Fatalf("a client past maxClients: ok %v wait %d, want to wait 1 s", ok, wait)
	}
	clock.Advance(100 * time.Millisecond) // 1 token back of 1 taken: full
	if _, ok := l.allow(newcomer); !ok {
		t.Fatal("a client after the others went quiet was refused")
	}
	if n := len(l.buckets); n != 1 {
		t.Errorf("%d buckets kept, want 1 (the quiet ones dropped)", n)
	}
}
