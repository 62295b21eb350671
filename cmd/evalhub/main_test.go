package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/central/centraltest"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
)

// hub runs serve in-process and returns its HTTP base and MQTT broker URL
// (the embedded one's when no --broker is given).
func hub(t *testing.T, args ...string) (base, broker string) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, append([]string{"--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0"}, args...), pw, slog.New(slog.DiscardHandler))
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if a, ok := strings.CutPrefix(line, "evalhub: mqtt broker on "); ok {
			broker = a
		}
		if a, ok := strings.CutPrefix(line, "evalhub: listening on "); ok {
			base = a
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatalf("serve ended before listening: %v", <-done)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "tcp://") {
			broker = a
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var h struct{ Subscribed bool }
		if getJSON(t, base+"/api/v1/health", &h) == 200 && h.Subscribed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("evalhub did not subscribe")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return base, broker
}

func getJSON(t *testing.T, url string, out any) int {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

const recordJSON = `{"v":1,"id":"019abcde-0000-7000-8000-%012d","seq":%d,"kind":"rating","device_id":"TA-1","area_code":"370900",
"hall":"泰安市政务服务中心","window":"12","session_id":"S-%d","mode":"single",
"cases":[{"project_no":"P%d","task_code":"T001","task_name":"企业设立登记"}],"target":"","staff":{"id":"TA0123","name":"李四"},
"stars":2,"good":false,"reasons":["213"],"channel":"4","opened_at":"2026-11-25T10:02:40.000+08:00",
"at":"2026-11-25T10:03:12.123+08:00","flags":[],"sig":""}`

// sendAndAck publishes n records as device TA-1 and waits for their acks.
func sendAndAck(t *testing.T, broker string, n int) {
	t.Helper()
	acked := make(chan []string, 16)
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("test-pad"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer cl.Disconnect(0)
	tok := cl.Subscribe(protocol.Topic("TA-1", protocol.DownAck), 1, func(_ mqtt.Client, m mqtt.Message) {
		a, _ := protocol.ParseAck(m.Payload())
		acked <- a.IDs
	})
	tok.WaitTimeout(5 * time.Second)
	var recs [][]byte
	for i := 1; i <= n; i++ {
		recs = append(recs, []byte(fmt.Sprintf(recordJSON, i, i, i, i)))
	}
	cl.Publish(protocol.Topic("TA-1", protocol.UpRecords), 1, false, protocol.AppendRecords(nil, "TA-1", recs)).WaitTimeout(5 * time.Second)
	got := 0
	for got < n {
		select {
		case ids := <-acked:
			got += len(ids)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d acked", got, n)
		}
	}
}

func checkAPI(t *testing.T, base string, n int) {
	t.Helper()
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	if code := getJSON(t, base+"/api/v1/records?window=12&limit=1000", &page); code != 200 || len(page.Records) != n {
		t.Errorf("records: %d, %d records, want %d", code, len(page.Records), n)
	}
	var st struct {
		Total    struct{ Bad int }
		ByWindow []struct{ Key string } `json:"by_window"`
	}
	if code := getJSON(t, base+"/api/v1/stats", &st); code != 200 || st.Total.Bad != n || len(st.ByWindow) != 1 {
		t.Errorf("stats: %d %+v", code, st)
	}
	var un struct{ Unrated []any }
	if code := getJSON(t, base+"/api/v1/unrated", &un); code != 200 || un.Unrated == nil {
		t.Errorf("unrated: %d %+v", code, un)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "满意率") {
		t.Errorf("page: %d %.200s", resp.StatusCode, body)
	}
}

// TestEmbedded: no --broker, no --db: the embedded broker and SQLite.
func TestEmbedded(t *testing.T) {
	base, broker := hub(t, "--data", t.TempDir())
	if broker == "" {
		t.Fatal("no embedded broker announced")
	}
	sendAndAck(t, broker, 50)
	checkAPI(t, base, 50)
}

// TestMosquittoPostgres: an external broker and PostgreSQL.
func TestMosquittoPostgres(t *testing.T) {
	dsn := centraltest.Postgres(t)
	b := mqtttest.Start(t)
	base, _ := hub(t, "--broker", b.URL(), "--db", dsn, "--data", t.TempDir())
	sendAndAck(t, b.URL(), 50)
	sendAndAck(t, b.URL(), 50) // a resend: acked again, stored once
	checkAPI(t, base, 50)
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"extra"}, 2, "unexpected argument"},
		{[]string{"--nope"}, 2, "flag provided but not defined"},
		{[]string{"--data", t.TempDir(), "--holidays", filepath.Join(t.TempDir(), "none")}, 1, "holidays"},
	} {
		var out strings.Builder
		if code := run(tc.args, &out); code != tc.code || !strings.Contains(out.String(), tc.msg) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, out.String(), tc.code, tc.msg)
		}
	}
}
