package config_test

import (
	"strings"
	"testing"
	"time"

	"evalpad/agent/config"
)

func TestDurationUnmarshal(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"10m", 10 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"500ms", 500 * time.Millisecond, false},
		{"0", 0, false},
		{"-0s", 0, false},
		{"30d", 30 * 24 * time.Hour, false},
		{"0d", 0, false},
		{"1d", 24 * time.Hour, false},
		{"106751d", 106751 * 24 * time.Hour, false},
		{"106752d", 0, true},
		{"99999999999999999999d", 0, true},
		{"1.5d", 0, true},
		{"-1d", 0, true},
		{"d", 0, true},
		{"1d12h", 0, true},
		{"-5s", 0, true},
		{"", 0, true},
		{"600", 0, true},
		{"ten minutes", 0, true},
	}
	for _, tc := range cases {
		var d config.Duration
		err := d.UnmarshalText([]byte(tc.in))
		if tc.err {
			if err == nil {
				t.Errorf("UnmarshalText(%q) = %v, want an error", tc.in, d)
			} else if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("UnmarshalText(%q) error %q lacks config: prefix", tc.in, err)
			}
			continue
		}
		if err != nil || d.Duration != tc.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tc.in, d.Duration, err, tc.want)
		}
	}
}

func TestDurationMarshal(t *testing.T) {
	cases := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{3 * time.Second, "3s"},
		{60 * time.Second, "1m"},
		{10 * time.Minute, "10m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{25 * time.Hour, "25h"},
		{720 * time.Hour, "30d"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Hour + time.Second, "1h0m1s"},
		{1<<63 - 1, "2562047h47m16.854775807s"},
	}
	for _, tc := range cases {
		b, err := config.Duration{Duration: tc.in}.MarshalText()
		if err != nil || string(b) != tc.want {
			t.Errorf("MarshalText(%v) = %q, %v; want %q", tc.in, b, err, tc.want)
			continue
		}
		var back config.Duration
		if err := back.UnmarshalText(b); err != nil || back.Duration != tc.in {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back.Duration, err, tc.in)
		}
	}
	if _, err := (config.Duration{Duration: -time.Second}).MarshalText(); err == nil {
		t.Error("MarshalText(-1s) succeeded")
	}
}

func TestDurationDaysInFile(t *testing.T) {
	c, err := config.Parse([]byte("[store]\nretention = \"7d\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Retention.Duration != 7*24*time.Hour {
		t.Errorf("retention = %v, want 168h", c.Store.Retention)
	}
}
