package config_test

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"evalpad/agent/config"
)

// TestMarshalRedacted: the secrets of a config never appear in what is
// shown of it, the output is still TOML, and the rest is as Marshal has it.
func TestMarshalRedacted(t *testing.T) {
	c := config.Default()
	c.API.Listen, c.API.Token = "0.0.0.0:8080", "tok-0123456789abcdef"
	c.Receipt.Key = "rkey-0123456789abcdef"
	c.Sync.Broker, c.Sync.Username, c.Sync.PasswordFile = "tcp://pad:brokerpw-123@broker.hall.lan:1883", "pad", "/etc/evalpad/broker.pw"
	b, err := config.MarshalRedacted(c)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, secret := range []string{"tok-0123456789abcdef", "rkey-0123456789abcdef", "brokerpw-123"} {
		if strings.Contains(out, secret) {
			t.Errorf("the output shows %q:\n%s", secret, out)
		}
	}
	var shown config.Config
	if _, err := toml.Decode(out, &shown); err != nil {
		t.Fatalf("the output is not TOML: %v\n%s", err, out)
	}
	if shown.API.Token != config.RedactedValue || shown.Receipt.Key != config.RedactedValue ||
		shown.Sync.Broker != "tcp://pad:xxxxx@broker.hall.lan:1883" || shown.Sync.PasswordFile != "/etc/evalpad/broker.pw" {
		t.Errorf("shown %+v %+v %+v", shown.API, shown.Receipt, shown.Sync)
	}
	// Unset secrets stay empty: "" says there is none.
	b, err = config.MarshalRedacted(config.Default())
	if err != nil || strings.Contains(string(b), config.RedactedValue) {
		t.Errorf("defaults: %v\n%s", err, b)
	}
	if c.API.Token != "tok-0123456789abcdef" {
		t.Error("MarshalRedacted changed its argument")
	}
}
