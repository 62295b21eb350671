package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const uuid1 = "019abcde-0123-7abc-8def-0123456789ab"

func TestTopic(t *testing.T) {
	if got := Topic("TA-1", UpRecords); got != "hcp/v1/TA-1/up/records" {
		t.Fatal(got)
	}
	if got := SharedRecordsFilter("evalhub"); got != "$share/evalhub/hcp/v1/+/up/records" {
		t.Fatal(got)
	}
	for _, tc := range []struct {
		topic, dev, suffix, err string
	}{
		{"hcp/v1/TA-1/down/ack", "TA-1", DownAck, ""},
		{"hcp/v1/TA-1/up/status", "TA-1", UpStatus, ""},
		{"hcp/v2/TA-1/down/ack", "", "", "not under hcp/v1/"},
		{"hcp/v1/TA-1", "", "", "no device id"},
		{"hcp/v1/TA 1/down/ack", "", "", "device_id"},
		{"hcp/v1/TA-1/down/firmware", "TA-1", "down/firmware", "unknown message"},
	} {
		dev, suf, err := ParseTopic(tc.topic)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: err %v, want %q", tc.topic, err, tc.err)
			}
			continue
		}
		if err != nil || dev != tc.dev || suf != tc.suffix {
			t.Errorf("%s: %q %q %v", tc.topic, dev, suf, err)
		}
	}
}

func TestParseAck(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{`{"ids":["` + uuid1 + `"]}`, ""},
		{`{"ids":["` + uuid1 + `"],"extra":1}`, ""},
		{``, "payload: empty"},
		{`{"ids":[]}`, "ids: empty"},
		{`{}`, "ids: required"},
		{`{"ids":"x"}`, "ids: expected []string"},
		{`{"ids":["nope"]}`, `ids[0]: "nope" is not a UUID`},
		{`{"ids":[1]}`, "ids: expected string"},
		{`{"ids":["` + uuid1 + `"]} {}`, "more than one JSON value"},
		{`{"ids":[`, "payload"},
	} {
		a, err := ParseAck([]byte(tc.in))
		if tc.err == "" {
			if err != nil || len(a.IDs) != 1 {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestParseCmd(t *testing.T) {
	for _, tc := range []struct {
		in, id, err string
		unknown     bool
	}{
		{`{"id":"c1","cmd":"pause"}`, "c1", "", false},
		{`{"id":"c1","cmd":"resume"}`, "c1", "", false},
		{`{"id":"c1","cmd":"message","text":"请稍候","seconds":10}`, "c1", "", false},
		{`{"id":"c1","cmd":"print_receipt"}`, "c1", "project_no: required", false},
		{`{"id":"c1","cmd":"print_receipt","project_no":"37090020261125000123","task_name":"企业设立登记"}`, "c1", "", false},
		{`{"id":"c1","cmd":"print_receipt","project_no":"P 1","task_name":"企业设立登记"}`, "c1", "project_no", false},
		{`{"id":"c1","cmd":"print_receipt","project_no":"P1"}`, "c1", "task_name", false},
		{`{"id":"c1","cmd":"message"}`, "c1", "text: required", false},
		{`{"id":"c1","cmd":"message","text":"` + strings.Repeat("字", 201) + `"}`, "c1", "at most 200", false},
		{`{"id":"c1","cmd":"message","text":"a\u0007"}`, "c1", "control", false},
		{`{"id":"c1","cmd":"message","text":"a","seconds":-1}`, "c1", "seconds", false},
		{`{"id":"c1","cmd":"update","url":"https://hub.example/fw/1.3.0.evfw","sha256":"abababababababababababababababababababababababababababababababab","size":1024,"version":"1.3.0"}`, "c1", "", false},
		{`{"id":"c1","cmd":"update","url":"file:///etc/passwd","sha256":"abababababababababababababababababababababababababababababababab","size":1024,"version":"1.3.0"}`, "c1", "url:", false},
		{`{"id":"c1","cmd":"update","url":"https://u:p@hub.example/fw","sha256":"abababababababababababababababababababababababababababababababab","size":1024,"version":"1.3.0"}`, "c1", "credentials", false},
		{`{"id":"c1","cmd":"update","url":"https://hub.example/fw","sha256":"AB","size":1024,"version":"1.3.0"}`, "c1", "sha256:", false},
		{`{"id":"c1","cmd":"update","url":"https://hub.example/fw","sha256":"abababababababababababababababababababababababababababababababab","size":0,"version":"1.3.0"}`, "c1", "size:", false},
		{`{"id":"c1","cmd":"update","url":"https://hub.example/fw","sha256":"abababababababababababababababababababababababababababababababab","size":1024,"version":"1.3 ; rm"}`, "c1", "version:", false},
		{`{"id":"c1","cmd":"reboot"}`, "c1", `"reboot"`, true},
		{`{"id":"c1"}`, "c1", "cmd: required", false},
		{`{"cmd":"pause"}`, "", "id: required", false},
		{`{"id":"c 1","cmd":"pause"}`, "", "id:", false},
		{`{"id":"c1","cmd":7}`, "c1", "cmd: expected string", false},
		{`[]`, "", "payload: expected", false},
		{`nope`, "", "not JSON", false},
	} {
		c, err := ParseCmd([]byte(tc.in))
		if c.ID != tc.id {
			t.Errorf("%s: id %q, want %q", tc.in, c.ID, tc.id)
		}
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		want := ErrInvalid
		if tc.unknown {
			want = ErrUnknownCmd
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, want) {
			t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestParseSession(t *testing.T) {
	ok := `{"session_id":"S-1","mode":"single","staff":{"id":"TA1","name":"李四"},"cases":[{"project_no":"P1","task_name":"企业设立登记"}],"applicant":"张三"}`
	s, err := ParseSession([]byte(ok))
	if err != nil || s.ID != "S-1" {
		t.Fatal(s, err)
	}
	s, err = ParseSession([]byte(`{"session_id":"S-2","mode":"batch","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"x"}]}`))
	if s.ID != "S-2" || err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "batch") {
		t.Fatal(s, err)
	}
	s, err = ParseSession([]byte(`{"mode":1}`))
	if s.ID != "" || err == nil || !strings.Contains(err.Error(), "mode") {
		t.Fatal(s, err)
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct{ in, id, err string }{
		{`{"id":"cfg-1","hall":"泰安市政务服务中心","window":"12","staff":{"id":"TA1","name":"李四"},"rules":{"session_timeout":"5m","walkin":true},"texts":{"thanks":"感谢您的评价"}}`, "cfg-1", ""},
		{`{}`, "", ""},
		{`{"id":"cfg-1","hall":""}`, "cfg-1", "hall: 0 characters"},
		{`{"id":"cfg-1","rules":{"session_timeout":"5s"}}`, "cfg-1", "rules.session_timeout: must be between"},
		{`{"id":"cfg-1","rules":{"min_interval":"soon"}}`, "cfg-1", "not a duration"},
		{`{"id":"cfg-1","reasons":{"1":[],"2":[{"code":"2","text":"x"}]}}`, "cfg-1", "reasons.1: empty"},
		{`{"id":"cfg-1","texts":{"bad key":"x"}}`, "cfg-1", "texts key"},
		{`{"id":"cfg-1","window":5}`, "cfg-1", "window: expected string"},
	} {
		c, err := ParseConfig([]byte(tc.in))
		if c.ID != tc.id {
			t.Errorf("%s: id %q want %q", tc.in, c.ID, tc.id)
		}
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
		}
	}
}

func validRecord() map[string]any {
	return map[string]any{"v": 1, "id": uuid1, "seq": 3, "kind": "rating", "device_id": "TA-1",
		"area_code": "370900", "hall": "泰安市政务服务中心", "window": "12", "session_id": "S-1", "mode": "single",
		"cases":  []map[string]string{{"project_no": "P1", "task_code": "T1", "task_name": "企业设立登记"}},
		"target": "", "staff": map[string]string{"id": "TA1", "name": "李四"}, "stars": 2, "good": false,
		"reasons": []string{"213"}, "channel": "4", "opened_at": "2026-11-25T10:02:40.000+08:00",
		"at": "2026-11-25T10:03:12.123+08:00", "flags": []string{}, "sig": ""}
}

func TestParseRecord(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		err  string
	}{
		{"ok", func(m map[string]any) {}, ""},
		{"unrated", func(m map[string]any) { m["kind"], m["stars"], m["reasons"] = "unrated", 0, []string{} }, ""},
		{"bad id", func(m map[string]any) { m["id"] = "x" }, "id:"},
		{"v2", func(m map[string]any) { m["v"] = 2 }, "v: 2"},
		{"seq 0", func(m map[string]any) { m["seq"] = 0 }, "seq"},
		{"other device", func(m map[string]any) { m["device_id"] = "TA-2" }, "sent by"},
		{"stars 6", func(m map[string]any) { m["stars"] = 6 }, "stars"},
		{"good mismatch", func(m map[string]any) { m["good"] = true }, "good"},
		{"kind", func(m map[string]any) { m["kind"] = "x" }, "kind"},
		{"unrated stars", func(m map[string]any) { m["kind"] = "unrated" }, "unrated"},
		{"at", func(m map[string]any) { m["at"] = "yesterday" }, "at:"},
		{"target", func(m map[string]any) { m["target"] = "P9" }, "target"},
		{"mode", func(m map[string]any) { m["mode"] = "solo" }, "mode"},
		{"seq string", func(m map[string]any) { m["seq"] = "3" }, "seq: expected uint64"},
		{"case variant", func(m map[string]any) { m["Stars"] = 5 }, `member "Stars"`},
		{"case variant inside", func(m map[string]any) { m["staff"] = map[string]string{"id": "TA1", "ID": "TA2"} }, `member "ID"`},
		{"upper case in a value", func(m map[string]any) { m["hall"] = "Hall \"A\": B" }, ""},
		{"unknown member", func(m map[string]any) { m["applicant_phone"] = "13912345678" }, "applicant_phone: not a member"},
		{"unknown staff member", func(m map[string]any) { m["staff"] = map[string]string{"id": "TA1", "phone": "1"} }, "staff.phone: not a member"},
		{"cases null", func(m map[string]any) { m["cases"] = nil }, "cases: null"},
		{"staff null", func(m map[string]any) { m["staff"] = nil }, "staff: null"},
		{"flags missing", func(m map[string]any) { delete(m, "flags") }, "flags: required"},
		{"hall null", func(m map[string]any) { m["hall"] = nil }, "hall: null"},
		{"case null", func(m map[string]any) { m["cases"] = []any{nil} }, "cases[0]: expected an object"},
		{"flags 17", func(m map[string]any) { m["flags"] = make([]string, 17) }, "flags: 17, at most 16"},
		{"long task", func(m map[string]any) {
			m["cases"] = []map[string]string{{"project_no": "P1", "task_name": strings.Repeat("事", 81)}}
		}, "cases[0].task_name: 81 characters"},
		{"seq beyond JS", func(m map[string]any) { m["seq"] = uint64(1) << 53 }, "seq: 9007199254740992, at most"},
		{"year 1970", func(m map[string]any) { m["at"] = "1970-01-01T00:00:00Z" }, "at: \"1970"},
		{"NUL in sig", func(m map[string]any) { m["sig"] = "a\x00" }, "sig: has a control character"},
	} {
		m := validRecord()
		tc.edit(m)
		raw, _ := json.Marshal(m)
		r, err := ParseRecord(raw, "TA-1")
		if tc.err == "" {
			if err != nil || r.ID != uuid1 {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	raw, _ := json.Marshal(validRecord())
	msg := AppendRecords(nil, "TA-1", [][]byte{raw, raw})
	m, err := ParseRecords(msg)
	if err != nil || m.DeviceID != "TA-1" || len(m.Records) != 2 {
		t.Fatal(m, err)
	}
	if RecordID(m.Records[1]) != uuid1 {
		t.Fatal("id")
	}
	for _, bad := range []string{`{"v":2,"device_id":"TA-1","records":[{}]}`, `{"v":1,"device_id":"","records":[{}]}`, `{"v":1,"device_id":"TA-1","records":[]}`, `x`} {
		if _, err := ParseRecords([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
