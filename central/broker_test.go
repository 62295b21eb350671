package central

import (
	"path/filepath"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/central/passwd"
	"evalpad/sync/protocol"
)

// TestEmbeddedBrokerLocked: on current main the embedded broker let
// anyone in and anyone read and write every topic. Now another pad's
// credentials cannot publish on this pad's topics, read its downlink, or
// join the central's group, and an anonymous client is refused — by the
// broker itself (centraltest.ProbeBroker).
func TestEmbeddedBrokerLocked(t *testing.T) {
	st, a, b := twoPads(t)
	url, user, pw := testBroker(t, "embedded", st)
	centraltest.ProbeBroker(t, url, nil, a, b, centraltest.Creds{User: user, Password: pw, ClientID: "evalhub-probe"},
		centraltest.Probe{Group: "evalhub", AttackerGroup: "evalhub", RefusesSubscribe: true})
}

// TestEmbeddedBrokerConnect: what the embedded broker checks at connect
// that ProbeBroker does not: the client id is bound to the user name, a
// Last Will must be on a topic the client may publish on, and Disconnect
// closes a pad's live connections (its credentials were renewed).
func TestEmbeddedBrokerConnect(t *testing.T) {
	st, a, b := twoPads(t)
	user, pw := DefaultCentralUser, passwd.Random()
	br, err := StartBroker(BrokerOptions{Addr: "127.0.0.1:0", Device: st.Device, CentralUser: user, CentralPassword: pw})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	url := br.URL()
	bc := centraltest.PadCreds(b)
	for _, tc := range []struct {
		name string
		c    centraltest.Creds
		will string
		ok   bool
	}{
		{"own id", bc, "", true},
		{"id = user name", centraltest.Creds{User: bc.User, Password: bc.Password, ClientID: b.ID}, "", true},
		{"another pad's id", centraltest.Creds{User: bc.User, Password: bc.Password, ClientID: "evalpad-" + a.ID}, "", false},
		{"random id", centraltest.Creds{User: bc.User, Password: bc.Password, ClientID: "x"}, "", false},
		{"will on own status", bc, protocol.Topic(b.ID, protocol.UpStatus), true},
		{"will: a fake ack to another pad", bc, protocol.Topic(a.ID, protocol.DownAck), false},
		{"will: records of another pad", bc, protocol.Topic(a.ID, protocol.UpRecords), false},
	} {
		cl, err := centraltest.Dial(url, nil, tc.c, tc.will)
		if (err == nil) != tc.ok {
			t.Errorf("%s: connect error %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err == nil {
			cl.Disconnect(0)
		}
	}
	cl, err := centraltest.Dial(url, nil, bc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Disconnect(0)
	if n := br.Disconnect(b.ID); n != 1 {
		t.Errorf("Disconnect closed %d connections, want 1", n)
	}
	centraltest.Eventually(t, "the connection closed", func() bool { return !cl.IsConnectionOpen() })
}

// twoPads is a store with pads TA-A and TA-B enrolled.
func twoPads(t *testing.T) (*SQLStore, *centraltest.Pad, *centraltest.Pad) {
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	key := testKey(t)
	a, b := centraltest.NewPad("TA-A"), centraltest.NewPad("TA-B")
	enrollPad(t, st, a, key, time.Now())
	enrollPad(t, st, b, key, time.Now())
	return st, a, b
}

func TestACLRules(t *testing.T) {
	for _, tc := range []struct {
		user    string
		central bool
		topic   string
		pub     bool
		read    bool
	}{
		{"TA-1", false, "hcp/v1/TA-1/up/records", true, false},
		{"TA-1", false, "hcp/v1/TA-1/up/status", true, false},
		{"TA-1", false, "hcp/v1/TA-1/down/ack", false, true},
		{"TA-1", false, "hcp/v1/TA-1/down/#", false, true},
		{"TA-1", false, "hcp/v1/TA-2/up/records", false, false},
		{"TA-1", false, "hcp/v1/TA-2/down/ack", false, false},
		{"TA-1", false, "hcp/v1/+/down/#", false, false},
		{"TA-1", false, "#", false, false},
		{"TA-1", false, "hcp/v1/TA-1/#", false, false},
		{"TA-1", false, "$share/evalhub/hcp/v1/+/up/records", false, false},
		{"TA-1", false, "hcp/v1/TA-1/up", false, false},
		{"$evalhub", true, "hcp/v1/TA-1/down/ack", true, false},
		{"$evalhub", true, "hcp/v1/TA-1/up/records", false, true},
		{"$evalhub", true, "hcp/v1/+/up/records", false, true},
		{"$evalhub", true, "$share/evalhub/hcp/v1/+/up/records", false, true},
		{"$evalhub", true, "$share//hcp/v1/+/up/records", false, false},
		{"$evalhub", true, "hcp/v1/+/down/ack", false, false},
		{"$evalhub", true, "#", false, false},
		{"$evalhub", true, "$SYS/broker/clients", false, false},
	} {
		if got := CanPublish(tc.user, tc.central, tc.topic); got != tc.pub {
			t.Errorf("CanPublish(%s, %s) = %v", tc.user, tc.topic, got)
		}
		if got := CanRead(tc.user, tc.central, tc.topic); got != tc.read {
			t.Errorf("CanRead(%s, %s) = %v", tc.user, tc.topic, got)
		}
	}
	for u, ok := range map[string]bool{"$evalhub": true, "evalhub@hall1": true, "evalhub": false, "TA-1": false, "a:b": false, "a b": false, "": false} {
		if err := CheckCentralUser(u); (err == nil) != ok {
			t.Errorf("CheckCentralUser(%q) = %v", u, err)
		}
	}
}
