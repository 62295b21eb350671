package central

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/rating"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
)

func raw(r rating.Record) []byte {
	b, _ := json.Marshal(r)
	return b
}

func TestParse(t *testing.T) {
	good := raw(rec(1, nil))
	badStars := raw(rec(2, func(r *rating.Record) { r.Stars = 9 }))
	for _, tc := range []struct {
		name, topic string
		payload     []byte
		rows, rejs  int
		err         string
	}{
		{"ok", "hcp/v1/TA-1/up/records", protocol.AppendRecords(nil, "TA-1", [][]byte{good}), 1, 0, ""},
		{"one bad of two", "hcp/v1/TA-1/up/records", protocol.AppendRecords(nil, "TA-1", [][]byte{good, badStars}), 1, 1, ""},
		{"no id", "hcp/v1/TA-1/up/records", protocol.AppendRecords(nil, "TA-1", [][]byte{good, []byte(`{"v":1}`)}), 1, 0, "records[1]: protocol: invalid message: record: id"},
		{"other device's record", "hcp/v1/TA-2/up/records", protocol.AppendRecords(nil, "TA-2", [][]byte{good}), 0, 1, ""},
		{"envelope of another device", "hcp/v1/TA-2/up/records", protocol.AppendRecords(nil, "TA-1", [][]byte{good}), 0, 0, "sent on the topic"},
		{"status topic", "hcp/v1/TA-1/up/status", []byte(`{}`), 0, 0, "not up/records"},
		{"garbage", "hcp/v1/TA-1/up/records", []byte(`garbage`), 0, 0, "payload"},
	} {
		p, err := Parse(tc.topic, tc.payload, t0)
		if len(p.Rows) != tc.rows || len(p.Rejects) != tc.rejs {
			t.Errorf("%s: %d rows %d rejects, want %d %d", tc.name, len(p.Rows), len(p.Rejects), tc.rows, tc.rejs)
		}
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
		}
	}
}

// FuzzParse: the hub never panics on what arrives, and whatever it keeps
// as a row is a valid record that parses again to the same.
func FuzzParse(f *testing.F) {
	f.Add(protocol.AppendRecords(nil, "TA-1", [][]byte{raw(rec(1, nil))}))
	f.Add(protocol.AppendRecords(nil, "TA-1", [][]byte{raw(rec(1, func(r *rating.Record) { r.Stars = 0 }))}))
	f.Add(protocol.AppendRecords(nil, "TA-1", [][]byte{raw(rec(1, func(r *rating.Record) { r.Hall = "\u202e泰安" }))}))
	f.Add([]byte(`{"v":1,"device_id":"TA-1","records":[{"id":"019abcde-0000-7000-8000-000000000001"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		p, _ := Parse("hcp/v1/TA-1/up/records", payload, t0)
		for _, r := range p.Rows {
			again, err := protocol.ParseRecord(raw(r.Record), "TA-1")
			if err != nil || again.ID != r.ID {
				t.Fatalf("kept row does not parse again: %v", err)
			}
		}
		for _, rj := range p.Rejects {
			if !protocol.IsUUID(rj.ID) || rj.Reason == "" {
				t.Fatalf("reject %+v", rj)
			}
		}
	})
}

func TestCompute(t *testing.T) {
	rows := rowsOf(
		rec(1, nil),
		rec(2, func(r *rating.Record) { r.Stars, r.Reasons = 1, []string{"115", "113"} }),
		rec(3, func(r *rating.Record) { r.Stars, r.Reasons = 2, []string{"213"}; r.Window = "12" }),
		rec(4, func(r *rating.Record) { r.Kind, r.Stars = rating.KindUnrated, 0 }),
		rec(5, func(r *rating.Record) { r.Stars = 4; r.Flags = []string{FlagDefault} }),
		rec(6, func(r *rating.Record) {
			r.Mode, r.Stars = rating.ModeTheme, 3
			r.Cases = []rating.Case{{ProjectNo: "A", TaskCode: "T001", TaskName: "企业设立登记"}, {ProjectNo: "B", TaskCode: "T002", TaskName: "个体工商户登记"}}
		}),
	)
	s := Compute(rows)
	if s.Total.Records != 6 || s.Total.Rated != 5 || s.Total.Good != 3 || s.Total.Bad != 2 || s.Total.Unrated != 1 || s.Total.Default != 1 {
		t.Errorf("total %+v", s.Total)
	}
	if s.Total.Satisfaction != 0.6 {
		t.Errorf("满意率 %v, want 0.6", s.Total.Satisfaction)
	}
	if s.Stars != [6]int{1, 1, 1, 1, 1, 1} {
		t.Errorf("stars %v", s.Stars)
	}
	if len(s.Reasons) != 3 || s.Reasons[0].Code != "113" || s.Reasons[0].Text != "多头跑窗口和部门" {
		t.Errorf("reasons %+v", s.Reasons)
	}
	if len(s.ByWin) != 2 || s.ByWin[1].Key != "泰安市政务服务中心/12" || s.ByWin[1].Bad != 1 {
		t.Errorf("by window %+v", s.ByWin)
	}
	if len(s.ByItem) != 2 || s.ByItem[0].Key != "T001" || s.ByItem[0].Records != 6 || s.ByItem[1].Records != 1 {
		t.Errorf("by item %+v", s.ByItem)
	}
	if len(s.ByDay) != 1 || s.ByDay[0].Key != "2026-11-25" {
		t.Errorf("by day %+v", s.ByDay)
	}
}

func TestAPI(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	st.Insert(context.Background(), rowsOf(rec(1, nil), rec(2, func(r *rating.Record) { r.Stars, r.Reasons = 2, []string{"213"} }), rec(3, nil)), nil)
	mux := http.NewServeMux()
	(&API{Store: st}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string, out any) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
		return resp.StatusCode
	}
	var page struct {
		Records []rating.Record `json:"records"`
		Next    string          `json:"next"`
	}
	if code := get("/api/v1/records?limit=2", &page); code != 200 || len(page.Records) != 2 || page.Next != rec(2, nil).ID {
		t.Fatalf("page 1: %d %+v", code, page)
	}
	if code := get("/api/v1/records?limit=2&after="+page.Next, &page); code != 200 || len(page.Records) != 1 || page.Next != "" {
		t.Fatalf("page 2: %d %+v", code, page)
	}
	var s Stats
	if code := get("/api/v1/stats?good=false", &s); code != 200 || s.Total.Bad != 1 || s.Total.Records != 1 {
		t.Fatalf("stats: %d %+v", code, s.Total)
	}
	// A new record changes the figures (they are cached while none comes).
	st.Insert(context.Background(), rowsOf(rec(4, func(r *rating.Record) { r.Stars, r.Reasons = 1, []string{"115"} })), nil)
	if code := get("/api/v1/stats?good=false", &s); code != 200 || s.Total.Bad != 2 {
		t.Fatalf("stats after a new record: %d %+v", code, s.Total)
	}
	st.Insert(context.Background(), nil, []Reject{{ID: "019abcde-0000-7000-8000-999999999999", DeviceID: "TA-1", Reason: "stars: 9", Body: []byte(`{"stars":9}`), ReceivedAt: t0}})
	var rj struct {
		Rejected []struct {
			ID, Reason string
			Record     map[string]int
		}
	}
	if code := get("/api/v1/rejected", &rj); code != 200 || len(rj.Rejected) != 1 || rj.Rejected[0].Record["stars"] != 9 {
		t.Fatalf("rejected: %d %+v", code, rj)
	}
	for _, q := range []string{"stars=9", "good=maybe", "from=yesterday", "limit=0", "after=x", "kind=x"} {
		var e struct{ Error string }
		param, _, _ := strings.Cut(q, "=")
		if code := get("/api/v1/records?"+q, &e); code != 400 || !strings.Contains(e.Error, param+":") {
			t.Errorf("%s: %d %q", q, code, e.Error)
		}
	}
}

// pad is a test client that sends records and collects acks.
type fakePad struct {
	t    *testing.T
	cl   mqtt.Client
	dev  string
	mu   sync.Mutex
	acks []string
}

func newFakePad(t *testing.T, broker, dev string) *fakePad {
	p := &fakePad{t: t, dev: dev}
	p.cl = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("pad-" + dev))
	if tok := p.cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	tok := p.cl.Subscribe(protocol.Topic(dev, protocol.DownAck), 1, func(_ mqtt.Client, m mqtt.Message) {
		a, err := protocol.ParseAck(m.Payload())
		if err != nil {
			t.Errorf("ack: %v", err)
		}
		p.mu.Lock()
		p.acks = append(p.acks, a.IDs...)
		p.mu.Unlock()
	})
	tok.WaitTimeout(5 * time.Second)
	t.Cleanup(func() { p.cl.Disconnect(0) })
	return p
}

func (p *fakePad) send(records ...[]byte) {
	tok := p.cl.Publish(protocol.Topic(p.dev, protocol.UpRecords), 1, false, protocol.AppendRecords(nil, p.dev, records))
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		p.t.Fatal(tok.Error())
	}
}

func (p *fakePad) acked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acks)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func runHub(t *testing.T, broker, id string, st Store) *Hub {
	h, err := NewHub(HubOptions{Broker: broker, ClientID: id}, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "the hub to subscribe", func() bool { return h.Counters().Subscribed })
	return h
}

// TestHubAcksAfterStore runs the hub against Mosquitto and the embedded
// broker: stored records are acked, a resend is acked again and not stored
// twice, a bad record with an id is kept apart and acked, one without an id
// is not acked.
func TestHubAcksAfterStore(t *testing.T) {
	for _, name := range []string{"mosquitto", "embedded"} {
		t.Run(name, func(t *testing.T) {
			var url string
			if name == "mosquitto" {
				url = mqtttest.Start(t).URL()
			} else {
				b, err := StartBroker("127.0.0.1:0", nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { b.Close() })
				url = b.URL()
			}
			st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
			h := runHub(t, url, "hub-1", st)
			// Two hubs in one group split the messages; each id is still stored once.
			h2 := runHub(t, url, "hub-2", st)
			p := newFakePad(t, url, "TA-1")
			bad := raw(rec(99, func(r *rating.Record) { r.Stars = 9 }))
			for i := 1; i <= 20; i++ {
				p.send(raw(rec(i, nil)), raw(rec(i+1, nil)))
			}
			p.send(bad, []byte(`{"v":1}`))
			want := 21 + 1 // records 1..21 and the bad one
			eventually(t, "acks", func() bool {
				seen := map[string]bool{}
				for _, id := range p.acked() {
					seen[id] = true
				}
				return len(seen) == want
			})
			// The pads' status: every hub sees it (not shared).
			p.cl.Publish(protocol.Topic("TA-1", protocol.UpStatus), 1, true, protocol.Status{Online: true, Outbox: 7}.Marshal()).WaitTimeout(5 * time.Second)
			eventually(t, "the status", func() bool {
				d1, d2 := h.Devices(), h2.Devices()
				return len(d1) == 1 && len(d2) == 1 && d1[0].Status.Outbox == 7 && d2[0].DeviceID == "TA-1"
			})
			if n, _ := st.Count(context.Background()); n != 21 {
				t.Errorf("%d stored, want 21", n)
			}
			c1, c2 := h.Counters(), h2.Counters()
			if c1.New+c2.New != 21 || c1.Duplicates+c2.Duplicates != 19 || c1.Rejected+c2.Rejected != 1 || c1.Unackable+c2.Unackable != 1 {
				t.Errorf("counters %+v %+v", c1, c2)
			}
		})
	}
}

// TestPageEmbedded: the page and its assets are served from the binary and
// load nothing from elsewhere (no CDN).
func TestPageEmbedded(t *testing.T) {
	mux := http.NewServeMux()
	RegisterPage(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/", "/web/app.js", "/web/style.css"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, ext := range []string{"http://", "https://", "//cdn"} {
			if strings.Contains(string(body), ext) {
				t.Errorf("%s refers to %q: assets must be embedded", path, ext)
			}
		}
	}
}

// failingStore fails every Insert while fail is set: nothing is committed.
type failingStore struct {
	Store
	mu   sync.Mutex
	fail bool
}

func (f *failingStore) Insert(ctx context.Context, rows []Row, rejects []Reject) (Inserted, error) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return Inserted{}, errors.New("central: insert: disk on fire")
	}
	return f.Store.Insert(ctx, rows, rejects)
}

// TestHubNoAckWithoutCommit: while the store fails, nothing is acked; the
// pad's resend after the store recovers is stored and acked.
func TestHubNoAckWithoutCommit(t *testing.T) {
	url := mqtttest.Start(t).URL()
	fs := &failingStore{Store: openStore(t, filepath.Join(t.TempDir(), "h.db")), fail: true}
	h := runHub(t, url, "hub-1", fs)
	p := newFakePad(t, url, "TA-1")
	p.send(raw(rec(1, nil)), raw(rec(2, nil)))
	eventually(t, "the failed commit", func() bool { return h.Counters().StoreFails == 1 })
	if a := p.acked(); len(a) != 0 {
		t.Fatalf("acked %v without a commit", a)
	}
	fs.mu.Lock()
	fs.fail = false
	fs.mu.Unlock()
	p.send(raw(rec(1, nil)), raw(rec(2, nil))) // the pad's resend
	eventually(t, "acks", func() bool { return len(p.acked()) == 2 })
	if n, _ := fs.Count(context.Background()); n != 2 {
		t.Errorf("%d stored, want 2", n)
	}
}
