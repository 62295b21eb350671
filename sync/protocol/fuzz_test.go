package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Each fuzz target checks the parser never panics, and that what it accepts
// survives a round trip: encode the value, parse it again, get it back.

func FuzzParseAck(f *testing.F) {
	f.Add([]byte(`{"ids":["` + uuid1 + `"]}`))
	f.Add([]byte(`{"ids":[]}`))
	f.Add([]byte(`{"ids":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAck(data)
		if err != nil {
			return
		}
		b, err := ParseAck(a.Marshal())
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip: %v %v %v", a, b, err)
		}
	})
}

func FuzzParseCmd(f *testing.F) {
	for _, s := range []string{`{"id":"c1","cmd":"pause"}`, `{"id":"c1","cmd":"message","text":"请稍候","seconds":5}`,
		`{"id":"c1","cmd":"print_receipt","project_no":"P1","task_name":"企业设立登记"}`, `{"id":"c1","cmd":"x"}`, `{"id":1}`,
		`{"id":"c1","cmd":"message","text":"请\u200b稍候\n\u202e"}`, `{"id":"c1","cmd":"print_receipt","project_no":"P1","task_name":"a","staff_id":"13912345678"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCmd(data)
		if err != nil {
			return
		}
		d, err := ParseCmd(c.Marshal())
		if err != nil || c != d {
			t.Fatalf("round trip: %+v %+v %v", c, d, err)
		}
	})
}

func FuzzParseSession(f *testing.F) {
	f.Add([]byte(`{"session_id":"S-1","mode":"single","staff":{"id":"TA1","name":"李四"},"cases":[{"project_no":"P1","task_name":"企业设立登记"}]}`))
	f.Add([]byte(`{"session_id":"S-1","mode":"batch","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_code":"T","task_name":"a"},{"project_no":"P2","task_code":"T","task_name":"a"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSession(data)
		if err != nil {
			return
		}
		b, _ := json.Marshal(s)
		s2, err := ParseSession(b)
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip: %+v %+v %v", s, s2, err)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"id":"cfg-1","hall":"泰安市政务服务中心","window":"12","staff":{"id":"TA1","name":"李四"},"rules":{"session_timeout":"5m","walkin":true},"texts":{"thanks":"感谢您的评价"}}`))
	f.Add([]byte(`{"reasons":{"1":[{"code":"1","text":"a"}],"2":[{"code":"2","text":"b"}]}}`))
	f.Add([]byte(`{"hall":"\u2067泰安\u2069","staff":{"id":"13912345678"},"texts":{"thanks":"\u00ad谢"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		c2, err := ParseConfig(c.Marshal())
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip: %+v %+v %v", c, c2, err)
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	raw, _ := json.Marshal(validRecord())
	f.Add(raw)
	f.Add([]byte(`{"v":1}`))
	rlo := validRecord()
	rlo["hall"] = "\u202e心中务服务政市安泰"
	raw, _ = json.Marshal(rlo)
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data, "TA-1")
		if err != nil {
			return
		}
		b, _ := json.Marshal(r)
		r2, err := ParseRecord(b, "TA-1")
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip: %+v %+v %v", r, r2, err)
		}
	})
}

func FuzzParseRecords(f *testing.F) {
	raw, _ := json.Marshal(validRecord())
	f.Add(AppendRecords(nil, "TA-1", [][]byte{raw}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseRecords(data)
		if err != nil {
			return
		}
		recs := make([][]byte, len(m.Records))
		for i, r := range m.Records {
			recs[i] = r
		}
		m2, err := ParseRecords(AppendRecords(nil, m.DeviceID, recs))
		if err != nil || len(m2.Records) != len(m.Records) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
