package centraltest

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/sync/protocol"
)

// Creds are a client's broker credentials; ClientID "" means the user name.
type Creds struct{ User, Password, ClientID string }

// PadCreds are the enrolled credentials of p.
func PadCreds(p *Pad) Creds {
	return Creds{p.Enrolled.Username, p.Enrolled.Password, "evalpad-" + p.ID}
}

// inbox collects what a client receives.
type inbox struct {
	mu   sync.Mutex
	msgs []string // "topic payload"
}

func (b *inbox) add(_ mqtt.Client, m mqtt.Message) {
	b.mu.Lock()
	b.msgs = append(b.msgs, m.Topic()+" "+string(m.Payload()))
	b.mu.Unlock()
}

func (b *inbox) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.msgs)
}

// Dial connects c to url (no automatic reconnect); will, when not "",
// is a Last Will topic.
func Dial(url string, tlsc *tls.Config, c Creds, will string) (mqtt.Client, error) {
	id := c.ClientID
	if id == "" {
		id = c.User
	}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(c.User).SetPassword(c.Password).
		SetTLSConfig(tlsc).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	if will != "" {
		o.SetWill(will, `{"ids":["019abcde-0000-7000-8000-000000000001"]}`, 1, false)
	}
	cl := mqtt.NewClient(o)
	tok := cl.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, fmt.Errorf("connect timed out")
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	return cl, nil
}

// subscribe subscribes and reports whether the broker granted it.
func subscribe(cl mqtt.Client, filter string, h mqtt.MessageHandler) (granted bool, err error) {
	tok := cl.Subscribe(filter, 1, h)
	if !tok.WaitTimeout(10 * time.Second) {
		return false, fmt.Errorf("subscribe %s: no SUBACK", filter)
	}
	if tok.Error() != nil {
		return false, tok.Error()
	}
	// One filter, one result (paho keys a shared one without $share/GROUP/).
	for _, q := range tok.(*mqtt.SubscribeToken).Result() {
		return q < 0x80, nil
	}
	return false, nil
}

// Probe says what ProbeBroker may expect of a broker.
type Probe struct {
	Group            string // the central's shared subscription group
	AttackerGroup    string // the group b tries to join
	RefusesSubscribe bool   // the broker refuses b's subscriptions (SUBACK 0x80)
}

// ProbeBroker plays an attacker holding pad b's credentials (and no
// credentials at all) against the broker at url, where pad a and the
// central (central's credentials) are clients too. It fails t for every
// thing the broker lets through:
//
//   - an anonymous client, a wrong password, and the central's user name
//     with a pad's password do not connect;
//   - b cannot take a's session (a stays connected when b uses a's id);
//   - b receives nothing of a's down/ (acks, commands), of '#', or of the
//     central's shared group when it subscribes to them, and takes no share
//     of the group; with o.RefusesSubscribe the broker also refuses those
//     subscriptions (Mosquitto 2.0's acl_file checks only what it delivers,
//     so there the group's name must be a secret: o.AttackerGroup is the
//     name b tries, o.Group the central's);
//   - b cannot publish on a's down/ack (a fake ack) or a's up/records
//     (fake records): neither a nor the central gets them;
//   - the central, subscribed with the shared group, gets every record a
//     sends.
func ProbeBroker(t *testing.T, url string, tlsc *tls.Config, a, b *Pad, central Creds, o Probe) {
	t.Helper()
	for name, c := range map[string]Creds{
		"anonymous":                  {ClientID: "anon-1"},
		"wrong password":             {User: a.Enrolled.Username, Password: a.Enrolled.Password + "x", ClientID: "evalpad-" + a.ID},
		"central user, pad password": {User: central.User, Password: b.Enrolled.Password, ClientID: "evalhub-x"},
		"unknown user":               {User: "TA-NOBODY", Password: b.Enrolled.Password, ClientID: "TA-NOBODY"},
	} {
		if cl, err := Dial(url, tlsc, c, ""); err == nil {
			cl.Disconnect(0)
			t.Errorf("%s: connected", name)
		}
	}
	var centralIn, aIn, bIn inbox
	cc, err := Dial(url, tlsc, central, "")
	if err != nil {
		t.Fatalf("central: %v", err)
	}
	defer cc.Disconnect(0)
	if ok, err := subscribe(cc, "$share/"+o.Group+"/"+protocol.Prefix+"+/"+protocol.UpRecords, centralIn.add); !ok || err != nil {
		t.Fatalf("central cannot join its group: %v", err)
	}
	ac, err := Dial(url, tlsc, PadCreds(a), "")
	if err != nil {
		t.Fatalf("pad a: %v", err)
	}
	defer ac.Disconnect(0)
	if ok, err := subscribe(ac, protocol.DownFilter(a.ID), aIn.add); !ok || err != nil {
		t.Fatalf("pad a cannot subscribe to its down/: %v", err)
	}

	// b tries, each on a connection of its own (a broker may cut one).
	attempt := func(what string, f func(bc mqtt.Client)) {
		bc, err := Dial(url, tlsc, PadCreds(b), "")
		if err != nil {
			t.Fatalf("pad b (%s): %v", what, err)
		}
		defer bc.Disconnect(0)
		f(bc)
		// A round trip on b's own topic: the broker has dealt with what
		// b sent before it (or cut b off).
		subscribe(bc, protocol.DownFilter(b.ID), bIn.add)
	}
	for _, f := range []string{protocol.DownFilter(a.ID), "#", protocol.Prefix + "+/down/#",
		"$share/" + o.AttackerGroup + "/" + protocol.Prefix + "+/" + protocol.UpRecords, protocol.Topic(a.ID, protocol.UpRecords)} {
		attempt("subscribe "+f, func(bc mqtt.Client) {
			if ok, _ := subscribe(bc, f, bIn.add); ok && o.RefusesSubscribe {
				t.Errorf("pad b may subscribe to %s", f)
			}
			// Messages b must not see while its subscription would stand.
			cc.Publish(protocol.Topic(a.ID, protocol.DownAck), 1, false, "central→a "+f).WaitTimeout(5 * time.Second)
			ac.Publish(protocol.Topic(a.ID, protocol.UpRecords), 1, false, "a→central "+f).WaitTimeout(5 * time.Second)
			// b's own message, sent last: once b has it, anything b could
			// see of the above has come too.
			if ok, _ := subscribe(bc, protocol.DownFilter(b.ID), bIn.add); ok {
				cc.Publish(protocol.Topic(b.ID, protocol.DownAck), 1, false, "central→b "+f).WaitTimeout(5 * time.Second)
				Eventually(t, "b's own message", func() bool {
					return slices.ContainsFunc(bIn.all(), func(m string) bool { return m == protocol.Topic(b.ID, protocol.DownAck)+" central→b "+f })
				})
			}
		})
	}
	attempt("fake ack", func(bc mqtt.Client) {
		bc.Publish(protocol.Topic(a.ID, protocol.DownAck), 0, false, "fake ack from b").WaitTimeout(5 * time.Second)
	})
	attempt("fake records", func(bc mqtt.Client) {
		bc.Publish(protocol.Topic(a.ID, protocol.UpRecords), 0, false, "fake records from b").WaitTimeout(5 * time.Second)
	})
	attempt("take a's session", func(bc mqtt.Client) {
		if c, err := Dial(url, tlsc, Creds{b.Enrolled.Username, b.Enrolled.Password, "evalpad-" + a.ID}, ""); err == nil {
			c.Disconnect(0)
		}
	})
	// Barriers: the last messages a and the central get.
	cc.Publish(protocol.Topic(a.ID, protocol.DownAck), 1, false, "barrier").WaitTimeout(5 * time.Second)
	ac.Publish(protocol.Topic(a.ID, protocol.UpRecords), 1, false, "barrier").WaitTimeout(5 * time.Second)
	Eventually(t, "the barriers", func() bool {
		return slices.Contains(aIn.all(), protocol.Topic(a.ID, protocol.DownAck)+" barrier") &&
			slices.Contains(centralIn.all(), protocol.Topic(a.ID, protocol.UpRecords)+" barrier")
	})
	if !ac.IsConnectionOpen() {
		t.Error("pad a was disconnected: b took its session")
	}
	for _, m := range bIn.all() {
		if !strings.HasPrefix(m, protocol.Topic(b.ID, protocol.DownAck)+" ") {
			t.Errorf("pad b received %q", m)
		}
	}
	for _, m := range aIn.all() {
		rest, _ := strings.CutPrefix(m, protocol.Topic(a.ID, protocol.DownAck)+" ")
		if w := firstWord(rest); w != "central→a" && w != "barrier" {
			t.Errorf("pad a received %q", m)
		}
	}
	got := 0
	for _, m := range centralIn.all() {
		rest, _ := strings.CutPrefix(m, protocol.Topic(a.ID, protocol.UpRecords)+" ")
		if w := firstWord(rest); w != "a→central" && w != "barrier" {
			t.Errorf("the central received %q", m)
		} else {
			got++
		}
	}
	if want := 5 + 1; got != want {
		t.Errorf("the central's group got %d of a's %d messages: someone else took a share", got, want)
	}
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}
