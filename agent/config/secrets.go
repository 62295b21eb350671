package config

import (
	"bytes"
	"fmt"

	"github.com/BurntSushi/toml"

	"evalpad/sync/protocol"
)

// RedactedValue stands for a secret that is set, where a config is shown.
const RedactedValue = "<redacted>"

// Redacted returns c with its secrets hidden for showing: api.token and
// receipt.key, when set, become RedactedValue, and a password in
// sync.broker's user info becomes protocol.Redacted. sync.password_file
// stays a path; nothing here reads the file. The result is for people, not
// for Parse: a redacted token does not validate.
func (c Config) Redacted() Config {
	if c.API.Token != "" {
		c.API.Token = RedactedValue
	}
	if c.Receipt.Key != "" {
		c.Receipt.Key = RedactedValue
	}
	if c.Sync.Broker != "" {
		c.Sync.Broker = protocol.RedactURL(c.Sync.Broker)
	}
	return c
}

// MarshalRedacted writes c.Redacted() as TOML (what `evalpad config`
// prints). It refuses an invalid c, as Marshal does.
func MarshalRedacted(c Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(c.Redacted()); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b.Bytes(), nil
}
