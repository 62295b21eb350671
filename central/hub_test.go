package central

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"evalpad/central/centraltest"
	"evalpad/central/passwd"
	"evalpad/rating"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
	"evalpad/trust"
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
	ctx := context.Background()
	sup, err := IssueToken(ctx, st, RoleSupervisor, "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&API{Store: st, Auth: &Auth{Tokens: st, Limiter: &Limiter{Max: 3}}}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	getAs := func(token, path string, out any) int {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
		return resp.StatusCode
	}
	// Records, figures and rejects need a token: none, or a wrong one, is 401.
	for _, path := range []string{"/api/v1/records", "/api/v1/stats", "/api/v1/rejected", "/api/v1/devices"} {
		var e struct{ Error string }
		if code := getAs("", path, &e); code != 401 || !strings.Contains(e.Error, "token") {
			t.Errorf("%s without a token: %d %q", path, code, e.Error)
		}
	}
	if code := getAs(sup, "/api/v1/health", &struct{}{}); code != 200 {
		t.Errorf("health: %d", code)
	}
	get := func(path string, out any) int { return getAs(sup, path, out) }
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
	// Bad tokens: 401 each, then the client is refused, even with a good one.
	for i := range 3 {
		if code := getAs(sup+"x", "/api/v1/records", &struct{}{}); code != 401 {
			t.Errorf("bad token %d: %d", i, code)
		}
	}
	if code := getAs(sup, "/api/v1/records", &struct{}{}); code != 429 {
		t.Errorf("after 3 bad tokens: %d, want 429", code)
	}
}

// testKey is a central key for tests.
func testKey(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// enrollPad registers p in st at at, as POST /api/v1/enroll would, and
// gives p its credentials and the central's key.
func enrollPad(t testing.TB, st *SQLStore, p *centraltest.Pad, central ed25519.PrivateKey, at time.Time) {
	t.Helper()
	ctx := context.Background()
	code, _, err := IssueCode(ctx, st, p.ID, time.Hour, false, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	pw := passwd.Random()
	h, _ := passwd.Hash(pw)
	pub := trust.Public(p.Key)
	_, err = st.Enroll(ctx, CodeHash(code), at, func(cur *Registered, c Code) (Registered, error) {
		return Registered{DeviceID: p.ID, PublicKey: pub, Fingerprint: trust.Fingerprint(pub), MQTTUser: p.ID, MQTTHash: h,
			Hardware: map[string]string{}, Version: "test", EnrolledAt: at.UTC(), UpdatedAt: at.UTC(), Status: DeviceActive}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Enrolled = protocol.EnrollResponse{V: 1, DeviceID: p.ID, Username: p.ID, Password: pw, CentralKey: trust.EncodePublicKey(trust.Public(central))}
}

// testBroker is a broker for hub tests: Mosquitto open to all, or the
// embedded one locked by st's registry. It returns the URL and the
// central's credentials on it.
func testBroker(t *testing.T, name string, st *SQLStore) (url, user, password string) {
	if name == "mosquitto" {
		return mqtttest.Start(t).URL(), "", ""
	}
	user, password = DefaultCentralUser, passwd.Random()
	b, err := StartBroker(BrokerOptions{Addr: "127.0.0.1:0", Device: st.Device, CentralUser: user, CentralPassword: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.URL(), user, password
}

func runHub(t *testing.T, o HubOptions, st Store) *Hub {
	h, err := NewHub(o, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	centraltest.Eventually(t, "the hub to subscribe", func() bool { return h.Counters().Subscribed })
	return h
}

// TestHubAcksAfterStore runs the hub against Mosquitto and the embedded
// broker: signed records of a registered pad are stored and acked with a
// signed ack, a resend is acked again and not stored twice, a bad record
// with an id is kept apart and acked, one without an id is not acked.
func TestHubAcksAfterStore(t *testing.T) {
	for _, name := range []string{"mosquitto", "embedded"} {
		t.Run(name, func(t *testing.T) {
			st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
			key := testKey(t)
			now := time.Now()
			pad := centraltest.NewPad("TA-1")
			enrollPad(t, st, pad, key, now.Add(-time.Hour))
			url, user, pw := testBroker(t, name, st)
			o := HubOptions{Broker: url, ClientID: "evalhub-1", Username: user, Password: pw, Key: key, Devices: st.DevicesByID}
			h := runHub(t, o, st)
			// Two hubs in one group split the messages; each id is still stored once.
			o.ClientID = "evalhub-2"
			h2 := runHub(t, o, st)
			cl := pad.Connect(t, url, nil)
			signed := func(n int, edit func(*rating.Record)) []byte { return pad.Sign(t, pad.Record(n, now, edit)) }
			for i := 1; i <= 20; i++ {
				pad.Send(t, cl, signed(i, nil), signed(i+1, nil))
			}
			pad.Send(t, cl, signed(99, func(r *rating.Record) { r.Stars = 9 }), []byte(`{"v":1}`))
			want := 21 + 1 // records 1..21 and the bad one
			centraltest.Eventually(t, "acks", func() bool {
				seen := map[string]bool{}
				for _, id := range pad.Acked() {
					seen[id] = true
				}
				return len(seen) == want
			})
			if bad := pad.BadAcks(); len(bad) != 0 {
				t.Errorf("acks the pad would refuse: %v", bad)
			}
			// The pads' status: every hub sees it (not shared).
			cl.Publish(protocol.Topic("TA-1", protocol.UpStatus), 1, true, protocol.Status{Online: true, Outbox: 7}.Marshal()).WaitTimeout(5 * time.Second)
			centraltest.Eventually(t, "the status", func() bool {
				d1, d2 := h.Devices(), h2.Devices()
				return len(d1) == 1 && len(d2) == 1 && d1[0].Status.Outbox == 7 && d2[0].DeviceID == "TA-1"
			})
			if n, _ := st.Count(context.Background()); n != 21 {
				t.Errorf("%d stored, want 21", n)
			}
			// Every id is acked once one of its two copies is stored: the
			// other copy may still be in a hub's queue. Wait for all 40.
			centraltest.Eventually(t, "every copy stored", func() bool {
				c1, c2 := h.Counters(), h2.Counters()
				return c1.New+c2.New+c1.Duplicates+c2.Duplicates >= 40
			})
			c1, c2 := h.Counters(), h2.Counters()
			if c1.New+c2.New != 21 || c1.Duplicates+c2.Duplicates != 19 || c1.Rejected+c2.Rejected != 1 || c1.Unackable+c2.Unackable != 1 {
				t.Errorf("counters %+v %+v", c1, c2)
			}
		})
	}
}

// TestHubRefusesAttacks: what an attacker did on the open central of old,
// each refused now by the hub itself, whatever the broker let through
// (this runs on a Mosquitto that lets everyone in): each record is kept
// as rejected with its reason, acked (so nothing loops), and counted in no
// figure.
func TestHubRefusesAttacks(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	key := testKey(t)
	now := time.Now()
	enrolled := now.Add(-24 * time.Hour)
	real := centraltest.NewPad("TA-REAL")
	enrollPad(t, st, real, key, enrolled)
	other := centraltest.NewPad("TA-OTHER")
	enrollPad(t, st, other, key, enrolled)
	url := mqtttest.Start(t).URL()
	runHub(t, HubOptions{Broker: url, ClientID: "evalhub-1", Key: key, Devices: st.DevicesByID}, st)
	cl := real.Connect(t, url, nil)
	ocl := other.Connect(t, url, nil)
	// A legitimate record of the other pad, stored first.
	other.Send(t, ocl, other.Sign(t, other.Record(500, now, nil)))
	centraltest.Eventually(t, "the other pad's record", func() bool { return len(other.Acked()) == 1 })

	ghost := centraltest.NewPad("TA-GHOST") // never enrolled
	ghost.Enrolled = protocol.EnrollResponse{CentralKey: real.Enrolled.CentralKey}
	gcl := ghost.Connect(t, url, nil)
	var burst [][]byte
	for i := 1; i <= 200; i++ {
		burst = append(burst, ghost.Sign(t, ghost.Record(1000+i, now, nil)))
	}
	ghost.Send(t, gcl, burst...)

	forger := testKey(t)
	cases := []struct {
		name   string
		record []byte
		reason string
	}{
		{"unsigned", mustJSON(real.Record(1, now, nil)), "sig: trust: unsigned"},
		{"signed by another key, seq far ahead", centraltest.SignWith(t, forger, real.Record(2, now, func(r *rating.Record) { r.Seq = 1 << 40 })), "sig: trust: bad signature"},
		{"changed after signing", tamper(real.Sign(t, real.Record(3, now, nil))), "sig: trust: bad signature"},
		{"pad-sent default flag", real.Sign(t, real.Record(4, now, func(r *rating.Record) { r.Stars, r.Flags = 4, []string{FlagDefault} })), `flags: "default" is the central's`},
		{"unrated from 2025", real.Sign(t, real.Record(5, time.Date(2025, 3, 3, 10, 0, 0, 0, now.Location()), func(r *rating.Record) {
			r.Kind, r.Stars, r.Good, r.Reasons = rating.KindUnrated, 0, false, []string{}
		})), "before the device's key was registered"},
		{"far in the future", real.Sign(t, real.Record(6, now.Add(2*time.Hour), nil)), "ahead of the central's clock"},
		{"id of the other pad's record", real.Sign(t, real.Record(500, now, nil)), "already stored for device TA-OTHER"},
		{"pad-sent channel flag", real.Sign(t, real.Record(9, now, func(r *rating.Record) { r.Channel, r.Flags = "3", []string{FlagChannel, FlagVia + ChannelScan} })), `flags: "channel" is the central's`},
		{"a central-derived id", real.Sign(t, real.Record(7, now, func(r *rating.Record) { r.ID = DefaultID(centraltest.RecordID(8)) })), "version 8"},
	}
	for _, c := range cases {
		real.Send(t, cl, c.record)
	}
	centraltest.Eventually(t, "every attack record acked", func() bool { return len(real.Acked()) == len(cases) && len(ghost.Acked()) == 200 })
	ctx := context.Background()
	rows, err := st.Records(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].DeviceID != "TA-OTHER" {
		t.Fatalf("stored %v, want only the other pad's record", ids(rows))
	}
	rejs, _ := st.Rejected(ctx)
	reasons := map[string]string{}
	for _, rj := range rejs {
		reasons[rj.ID] = rj.Reason
	}
	if n := len(rejs); n != 200+len(cases) {
		t.Errorf("%d rejected, want %d", n, 200+len(cases))
	}
	if r := reasons[centraltest.RecordID(1001)]; !strings.Contains(r, "device TA-GHOST is not registered") {
		t.Errorf("ghost's record: %q", r)
	}
	for _, c := range cases {
		var head struct{ ID string }
		json.Unmarshal(c.record, &head)
		got := reasons[head.ID]
		if head.ID == centraltest.RecordID(500) {
			got = "" // the id's reject is stored once; the reason is checked below
			for _, rj := range rejs {
				if rj.DeviceID == "TA-REAL" && rj.ID == head.ID {
					got = rj.Reason
				}
			}
		}
		if !strings.Contains(got, c.reason) {
			t.Errorf("%s: rejected as %q, want %q", c.name, got, c.reason)
		}
	}
	// The time rule finds no unrated session to default: the 2025 one was refused.
	rule := &TimeRule{Cal: &Calendar{}, Store: st}
	if list, n, err := rule.Check(ctx, Filter{}, now); err != nil || len(list) != 0 || n != 0 {
		t.Errorf("time rule: %v %d %v", list, n, err)
	}
	if s := Compute(rows); s.Total.Records != 1 || s.Total.Default != 0 {
		t.Errorf("figures count %+v", s.Total)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// tamper turns the 5★ of a signed record into 1★ (with a reason).
func tamper(b []byte) []byte {
	s := strings.Replace(string(b), `"stars":5,"good":true,"reasons":[]`, `"stars":1,"good":false,"reasons":["115"]`, 1)
	return []byte(s)
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
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	key := testKey(t)
	now := time.Now()
	p := centraltest.NewPad("TA-1")
	enrollPad(t, st, p, key, now.Add(-time.Hour))
	fs := &failingStore{Store: st, fail: true}
	h := runHub(t, HubOptions{Broker: url, ClientID: "evalhub-1", Key: key, Devices: st.DevicesByID}, fs)
	cl := p.Connect(t, url, nil)
	r1, r2 := p.Sign(t, p.Record(1, now, nil)), p.Sign(t, p.Record(2, now, nil))
	p.Send(t, cl, r1, r2)
	centraltest.Eventually(t, "the failed commit", func() bool { return h.Counters().StoreFails == 1 })
	if a := p.Acked(); len(a) != 0 {
		t.Fatalf("acked %v without a commit", a)
	}
	fs.mu.Lock()
	fs.fail = false
	fs.mu.Unlock()
	p.Send(t, cl, r1, r2) // the pad's resend
	centraltest.Eventually(t, "acks", func() bool { return len(p.Acked()) == 2 })
	if n, _ := fs.Count(context.Background()); n != 2 {
		t.Errorf("%d stored, want 2", n)
	}
}

// pickyStore is a database that refuses every transaction holding a
// record of device bad (as PostgreSQL refused a whole batch for one
// record's bytes).
type pickyStore struct {
	Store
	bad string
}

func (p *pickyStore) Insert(ctx context.Context, rows []Row, rejects []Reject) (Inserted, error) {
	for _, r := range rows {
		if r.DeviceID == p.bad {
			return Inserted{}, errors.New("ERROR: invalid byte sequence for encoding \"UTF8\"")
		}
	}
	return p.Store.Insert(ctx, rows, rejects)
}

// TestOneBadMessageCannotStall: a record that is not UTF-8 is rejected at
// parse and its body stored safely (a NUL in a string is refused by the
// protocol's text checks; a raw one makes the message invalid JSON), on SQLite and
// PostgreSQL; and when the database refuses a batch for one message, the
// others are stored and acked, that one set aside as rejected with the
// database's reason; when it refuses every message, nothing is acked.
func TestOneBadMessageCannotStall(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be.open(t))
			ctx := context.Background()
			now := time.Now()
			good, bad := centraltest.NewPad("TA-GOOD"), centraltest.NewPad("TA-BAD")
			msg := func(p *centraltest.Pad, recs ...[]byte) []byte {
				return fmt.Appendf(nil, `{"v":1,"device_id":%q,"records":[%s]}`, p.ID, bytes.Join(recs, []byte(",")))
			}
			broken := bytes.Replace(mustJSON(bad.Record(9, now, nil)), []byte("企业设立登记"), []byte("企业\xff设立"), 1)
			pb, err := Parse("hcp/v1/TA-BAD/up/records", msg(bad, broken), now)
			if err != nil || len(pb.Rows) != 0 || len(pb.Rejects) != 1 || pb.Rejects[0].Reason != "record: not valid UTF-8" {
				t.Fatalf("parse of a record not UTF-8: %+v %v", pb, err)
			}
			h, err := NewHub(HubOptions{Broker: "tcp://127.0.0.1:1", ClientID: "x", Key: testKey(t), Devices: st.DevicesByID}, st)
			if err != nil {
				t.Fatal(err)
			}
			var b Batch
			b.Add(pb)
			if acks, err := h.Store(ctx, &b); err != nil || len(acks["TA-BAD"]) != 1 {
				t.Fatalf("the reject of a record not UTF-8: %v %v", acks, err)
			}
			if rej, err := st.Rejected(ctx); err != nil || len(rej) != 1 || !utf8.Valid(rej[0].Body) {
				t.Fatalf("its stored reject: %+v %v", rej, err)
			}

			pg, err := Parse("hcp/v1/TA-GOOD/up/records", msg(good, mustJSON(good.Record(1, now, nil)), mustJSON(good.Record(2, now, nil))), now)
			if err != nil {
				t.Fatal(err)
			}
			pbad, err := Parse("hcp/v1/TA-BAD/up/records", msg(bad, mustJSON(bad.Record(3, now, nil))), now)
			if err != nil {
				t.Fatal(err)
			}
			hp, _ := NewHub(HubOptions{Broker: "tcp://127.0.0.1:1", ClientID: "x", Key: testKey(t), Devices: st.DevicesByID}, &pickyStore{Store: st, bad: "TA-BAD"})
			b = Batch{}
			b.Add(pg)
			b.Add(pbad)
			acks, err := hp.Store(ctx, &b)
			if err != nil || len(acks["TA-GOOD"]) != 2 || len(acks["TA-BAD"]) != 1 {
				t.Fatalf("acks %v, %v: want both of TA-GOOD's and TA-BAD's one set aside", acks, err)
			}
			if n, _ := st.Count(ctx); n != 2 {
				t.Errorf("%d records stored, want TA-GOOD's 2", n)
			}
			rej, _ := st.Rejected(ctx)
			if len(rej) != 2 || !strings.Contains(rej[1].Reason+rej[0].Reason, "the database refused its message") {
				t.Errorf("rejected: %+v", rej)
			}

			down := &pickyStore{Store: st, bad: "TA-GOOD"}
			hd, _ := NewHub(HubOptions{Broker: "tcp://127.0.0.1:1", ClientID: "x", Key: testKey(t), Devices: st.DevicesByID}, down)
			b = Batch{}
			p3, _ := Parse("hcp/v1/TA-GOOD/up/records", msg(good, mustJSON(good.Record(4, now, nil))), now)
			p4, _ := Parse("hcp/v1/TA-GOOD/up/records", msg(good, mustJSON(good.Record(5, now, nil))), now)
			b.Add(p3)
			b.Add(p4)
			if acks, err := hd.Store(ctx, &b); err == nil || len(acks) != 0 {
				t.Errorf("every message refused: acks %v, err %v; want nothing acked", acks, err)
			}
		})
	}
}
