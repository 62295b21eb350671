package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestConfigHidesSecrets: `evalpad config` shows the effective config with
// api.token, receipt.key and a broker password as "<redacted>", never the
// contents of sync.password_file, and stays TOML.
func TestConfigHidesSecrets(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "broker.pw")
	if err := os.WriteFile(pwFile, []byte("pwfile-secret-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "pad.toml")
	cfg := `[api]
listen = "0.0.0.0:8080"
token = "tok-secret-0123456789"
hosts = ["192.168.1.20"]
[receipt]
key = "rkey-secret-0123456789"
[sync]
broker = "tcp://pad:urlpw-secret@broker.hall.lan:1883"
username = "pad"
password_file = "` + pwFile + `"
`
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"config", "--config", cfgFile}, &stdout, &stderr); code != exitOK {
		t.Fatalf("evalpad config: exit %d: %s", code, stderr.String())
	}
	out := stdout.String() + stderr.String()
	for _, secret := range []string{"tok-secret", "rkey-secret", "urlpw-secret", "pwfile-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("evalpad config shows %q:\n%s", secret, out)
		}
	}
	var shown map[string]any
	if _, err := toml.Decode(stdout.String(), &shown); err != nil {
		t.Fatalf("the output is not TOML: %v\n%s", err, stdout.String())
	}
	api := shown["api"].(map[string]any)
	if api["token"] != "<redacted>" || shown["receipt"].(map[string]any)["key"] != "<redacted>" ||
		shown["sync"].(map[string]any)["password_file"] != pwFile {
		t.Errorf("shown api %v receipt %v sync %v", api, shown["receipt"], shown["sync"])
	}
}
