package server

import (
	"strings"
	"testing"
	"time"
)

// TestAlerterOptions: the alert flags' values are checked before the
// central starts; a webhook is never sent unsigned.
func TestAlerterOptions(t *testing.T) {
	for _, tc := range []struct {
		o   Options
		msg string
	}{
		{Options{AlertURL: "ftp://x"}, "not an http(s) URL"},
		{Options{AlertURL: "https://duty.example/hook"}, "without a secret"},
		{Options{AlertThreshold: "3"}, "N/DURATION"},
		{Options{AlertThreshold: "0/30m"}, "N/DURATION"},
		{Options{AlertThreshold: "3/soon"}, "N/DURATION"},
	} {
		if _, err := alerter(tc.o, nil); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.msg)
		}
	}
	al, err := alerter(Options{AlertURL: "https://duty.example/hook", AlertSecret: "k", AlertThreshold: "3/30m"}, nil)
	if err != nil || al.WebhookURL != "https://duty.example/hook" || string(al.Secret) != "k" || al.Threshold != 3 || al.Within != 30*time.Minute {
		t.Errorf("alerter %+v %v", al, err)
	}
}
