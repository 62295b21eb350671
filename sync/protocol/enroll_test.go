package protocol

import (
	"errors"
	"strings"
	"testing"
)

const goodEnroll = `{"v":1,"code":"ABCD-EFGH-JKLM-NPQR","device_id":"TA-ZWFW-W12",
 "public_key":"3+x0VSAay/7Dkcj30MmryaZCXnwCOCj7799gy+6tAw0=","hardware":{"buttons":"evdev /dev/input/event2","arch":"arm64"},
 "version":"v1.2.3","at":"2026-11-25T10:00:00+08:00","sig":"x"}`

const goodResponse = `{"v":1,"device_id":"TA-ZWFW-W12","central_public_key":"3+x0VSAay/7Dkcj30MmryaZCXnwCOCj7799gy+6tAw0=",
 "broker":"ssl://hub.example:8883","mqtt_username":"TA-ZWFW-W12","mqtt_password":"s3cret-Passw0rd",
 "receipt_key_id":"k1","receipt_key":"0123456789abcdef","config":{"hall":"泰安市政务服务中心","window":"12"}}`

func TestParseEnroll(t *testing.T) {
	r, err := ParseEnrollRequest([]byte(goodEnroll))
	if err != nil || r.DeviceID != "TA-ZWFW-W12" || r.Hardware["arch"] != "arm64" {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []struct{ from, to, field string }{
		{`"v":1`, `"v":2`, "v"}, {`"code":"ABCD-EFGH-JKLM-NPQR"`, `"code":""`, "code"},
		{`"code":"ABCD-EFGH-JKLM-NPQR"`, `"code":"AB CD"`, "code"}, {`"device_id":"TA-ZWFW-W12"`, `"device_id":"TA/../x"`, "device"},
		{`"public_key":"3+x0VSAay/7Dkcj30MmryaZCXnwCOCj7799gy+6tAw0="`, `"public_key":""`, "public_key"},
		{`"sig":"x"`, `"sig":""`, "sig"}, {`"version":"v1.2.3"`, `"version":""`, "version"},
		{`"arch":"arm64"`, `"arch":"arm\n64"`, "hardware.arch"}, {`"arch":`, `"a b":`, "hardware key"},
		{`{"v":1`, `[{"v":1`, "payload"},
	} {
		in := strings.Replace(goodEnroll, bad.from, bad.to, 1)
		if _, err := ParseEnrollRequest([]byte(in)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%s → %s: %v, want an error naming %s", bad.from, bad.to, err, bad.field)
		}
	}
	resp, err := ParseEnrollResponse([]byte(goodResponse))
	if err != nil || resp.Config == nil || *resp.Config.Window != "12" {
		t.Fatalf("%+v %v", resp, err)
	}
	for _, bad := range []struct{ from, to, field string }{
		{`"broker":"ssl://hub.example:8883"`, `"broker":"ssl://u:p@hub.example:8883"`, "broker"},
		{`"broker":"ssl://hub.example:8883"`, `"broker":"http://hub.example"`, "broker"},
		{`"mqtt_password":"s3cret-Passw0rd"`, `"mqtt_password":""`, "mqtt_password"},
		{`"receipt_key":"0123456789abcdef"`, `"receipt_key":"a b"`, "receipt_key"},
		{`"window":"12"`, `"window":""`, "window"},
	} {
		in := strings.Replace(goodResponse, bad.from, bad.to, 1)
		if _, err := ParseEnrollResponse([]byte(in)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%s → %s: %v, want an error naming %s", bad.from, bad.to, err, bad.field)
		}
	}
}

func FuzzParseEnroll(f *testing.F) {
	f.Add([]byte(goodEnroll))
	f.Add([]byte(goodResponse))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := ParseEnrollRequest(b); err == nil {
			if r2, err := ParseEnrollRequest(r.Marshal()); err != nil || r2.DeviceID != r.DeviceID || r2.Code != r.Code {
				t.Fatalf("request does not round-trip: %v", err)
			}
		}
		if r, err := ParseEnrollResponse(b); err == nil {
			if _, err := ParseEnrollResponse(r.Marshal()); err != nil {
				t.Fatalf("response does not round-trip: %v", err)
			}
		}
	})
}
