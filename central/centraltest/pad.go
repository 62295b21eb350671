package centraltest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/rating"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Pad plays a pad that signs: its own ed25519 key, enrollment with a code,
// signed records, and a broker client that collects acks (and checks their
// signature against the central's key it got at enrollment).
type Pad struct {
	ID  string
	Key ed25519.PrivateKey
	// Enrolled is the central's answer, once Enroll succeeded.
	Enrolled protocol.EnrollResponse

	mu   sync.Mutex
	acks []string
	bad  []string // acks refused: why
}

// NewPad makes a pad with a new key.
func NewPad(id string) *Pad {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	return &Pad{ID: id, Key: key}
}

// Record is a valid 5★ record n of this pad at at (n gives id, seq,
// session and case), edited by edit when not nil.
func (p *Pad) Record(n int, at time.Time, edit func(r *rating.Record)) rating.Record {
	id := RecordID(n)
	r := rating.NewRecord(id, rating.Origin{DeviceID: p.ID, AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "12", Channel: "4"},
		&rating.Session{ID: "S-" + id[24:], Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA0123", Name: "李四"}},
		rating.Staff{}, []rating.Case{{ProjectNo: "P" + id[24:], TaskCode: "T001", TaskName: "企业设立登记"}},
		rating.Verdict{Stars: 5}, rating.FormatTime(at.Add(-time.Minute), at.Location()), rating.FormatTime(at, at.Location()))
	r.Seq = uint64(n)
	if edit != nil {
		edit(&r)
	}
	return r
}

// RecordID is the UUIDv7-shaped id of record n.
func RecordID(n int) string {
	b := []byte("019abcde-0000-7000-8000-000000000000")
	for i := len(b) - 1; n > 0 && i > 23; i-- {
		b[i] = "0123456789"[n%10]
		n /= 10
	}
	return string(b)
}

// Sign returns r as JSON with its sig made by the pad's key.
func (p *Pad) Sign(t testing.TB, r rating.Record) []byte {
	t.Helper()
	return SignWith(t, p.Key, r)
}

// SignWith signs r with key (another pad's, to forge).
func SignWith(t testing.TB, key ed25519.PrivateKey, r rating.Record) []byte {
	t.Helper()
	r.Sig = ""
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sig, err = trust.Sign(key, trust.RecordDomain, b); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(r)
	return b
}

// EnrollRequest is the pad's signed enrollment request with code, its
// clock saying at.
func (p *Pad) EnrollRequest(t testing.TB, code string, at time.Time) []byte {
	t.Helper()
	req := protocol.EnrollRequest{V: 1, Code: code, DeviceID: p.ID, PublicKey: trust.EncodePublicKey(trust.Public(p.Key)),
		Hardware: map[string]string{"arch": "arm64", "buttons": "gpio"}, Version: "v1.0.0-test", At: at.Format(time.RFC3339Nano)}
	sig, err := trust.Sign(p.Key, trust.EnrollDomain, req.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	req.Sig = sig
	return req.Marshal()
}

// Post posts body to base+protocol.EnrollPath and returns the status and
// the answer.
func Post(t testing.TB, base string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(base+protocol.EnrollPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Enroll enrolls the pad at base with code and keeps the answer; it fails
// the test unless the central answers 200 with a valid response.
func (p *Pad) Enroll(t testing.TB, base, code string) protocol.EnrollResponse {
	t.Helper()
	code2, body := Post(t, base, p.EnrollRequest(t, code, time.Now()))
	if code2 != http.StatusOK {
		t.Fatalf("enroll %s: %d %s", p.ID, code2, body)
	}
	r, err := protocol.ParseEnrollResponse(body)
	if err != nil {
		t.Fatalf("enroll %s: %v", p.ID, err)
	}
	p.Enrolled = r
	return r
}

// Connect connects to broker as the pad (the enrolled credentials, client
// id evalpad-ID) and subscribes to its acks; tlsc may be nil.
func (p *Pad) Connect(t testing.TB, broker string, tlsc *tls.Config) mqtt.Client {
	t.Helper()
	cl, err := p.Dial(broker, tlsc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Disconnect(0) })
	return cl
}

// Dial is Connect returning its error; the caller disconnects.
func (p *Pad) Dial(broker string, tlsc *tls.Config) (mqtt.Client, error) {
	central, err := trust.ParsePublicKey(p.Enrolled.CentralKey)
	if err != nil {
		return nil, err
	}
	o := mqtt.NewClientOptions().AddBroker(broker).SetClientID("evalpad-" + p.ID).
		SetUsername(p.Enrolled.Username).SetPassword(p.Enrolled.Password).SetTLSConfig(tlsc).SetAutoReconnect(false)
	cl := mqtt.NewClient(o)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("pad %s connect: %v", p.ID, tok.Error())
	}
	topic := protocol.Topic(p.ID, protocol.DownAck)
	tok := cl.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if _, err := trust.VerifyDown(central, topic, m.Payload(), time.Now()); err != nil {
			p.bad = append(p.bad, err.Error())
			return
		}
		a, err := protocol.ParseAck(m.Payload())
		if err != nil {
			p.bad = append(p.bad, err.Error())
			return
		}
		p.acks = append(p.acks, a.IDs...)
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		cl.Disconnect(0)
		return nil, fmt.Errorf("pad %s subscribe: %v", p.ID, tok.Error())
	}
	// A refusal is a SUBACK of 0x80, which paho reports as a granted QoS
	// and no error (a NATS node refuses while JetStream elects leaders).
	if q := tok.(*mqtt.SubscribeToken).Result()[topic]; q > 2 {
		cl.Disconnect(0)
		return nil, fmt.Errorf("pad %s subscribe: refused (SUBACK 0x%02x)", p.ID, q)
	}
	return cl, nil
}

// Send publishes records (each already JSON) on the pad's up/records.
func (p *Pad) Send(t testing.TB, cl mqtt.Client, records ...[]byte) {
	t.Helper()
	tok := cl.Publish(protocol.Topic(p.ID, protocol.UpRecords), 1, false, protocol.AppendRecords(nil, p.ID, records))
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("pad %s publish: %v", p.ID, tok.Error())
	}
}

// Acked is every id acked so far with a valid signature; BadAcks are the
// acks the pad refused.
func (p *Pad) Acked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.acks...)
}

// BadAcks are the reasons of the acks the pad refused.
func (p *Pad) BadAcks() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// Eventually waits up to 20 s for cond, failing the test with what.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
