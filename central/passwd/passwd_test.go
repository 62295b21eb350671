package passwd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mosquittoLine was written by Mosquitto 2.0.11's
// `mosquitto_passwd -c -b pw.txt alice secret`.
const mosquittoLine = "alice:$7$101$9CXx/Nj5MU1uMspl$B/c/f+3RfOsjDdCKh1A5meTk9gowMHVgPbt8o1K0juUzqjT3duTCBjOZ4jcmPoXiKeDaVeL3YBVw/LQnH3ZRrQ=="

func TestVerifyMosquittoHash(t *testing.T) {
	_, hash, _ := strings.Cut(mosquittoLine, ":")
	for pw, want := range map[string]bool{"secret": true, "Secret": false, "": false, "secret ": false} {
		if ok, err := Verify(hash, pw); err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
}

func TestHashRoundTrip(t *testing.T) {
	pw := Random()
	if len(pw) != 32 || strings.ContainsAny(pw, "+/=:$ ") {
		t.Fatalf("Random() = %q", pw)
	}
	h, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := Hash(pw)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if ok, err := Verify(h, pw); !ok || err != nil {
		t.Errorf("Verify(own hash) = %v, %v", ok, err)
	}
	if ok, _ := Verify(h, pw+"x"); ok {
		t.Error("a wrong password verifies")
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, h := range []string{"", "$6$abc$def", "$7$101$c2FsdA==", "$7$x$c2FsdA==$a2V5", "$7$0$c2FsdA==$a2V5",
		"$7$99999999$c2FsdA==$a2V5", "$7$101$!!$a2V5", "$7$101$c2FsdA==$", "$7$101$$a2V5"} {
		if ok, err := Verify(h, "x"); ok || !errors.Is(err, ErrFormat) {
			t.Errorf("Verify(%q) = %v, %v; want ErrFormat", h, ok, err)
		}
	}
}

// TestMosquittoPasswdAcceptsOurs: mosquitto_passwd -U leaves a file of our
// hashes as it is only if it reads them as hashes. (The broker itself
// checks them in central's Mosquitto tests.)
func TestMosquittoPasswdAcceptsOurs(t *testing.T) {
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		t.Skip("mosquitto_passwd not installed")
	}
	h, _ := Hash("pw")
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte(Line("bob", h)+"\n"), 0o600)
	// -b adds a user beside ours: the file must be read without error.
	if out, err := exec.Command(bin, "-b", f, "carol", "pw2").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v %s", err, out)
	}
	b, _ := os.ReadFile(f)
	if !strings.Contains(string(b), Line("bob", h)) {
		t.Errorf("our line was changed: %s", b)
	}
}

func BenchmarkVerify(b *testing.B) {
	h, _ := Hash("pw")
	for b.Loop() {
		Verify(h, "pw")
	}
}
