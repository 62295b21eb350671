package voice

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/rating"
)

// Every key the pad speaks has a shipped clip: the prompt, the thanks, the
// reasons' title and each national default reason.
func TestShippedClips(t *testing.T) {
	clips := DefaultClips()
	keys := []string{KeyPrompt, KeyThanks, KeyReasons}
	r := rating.DefaultReasons()
	for _, x := range append(r.One, r.Two...) {
		keys = append(keys, ReasonKey(x.Code))
	}
	total := 0
	for _, k := range keys {
		c, ok := clips[k]
		if !ok {
			t.Errorf("no shipped clip for %q", k)
			continue
		}
		if _, err := parseWAV(c); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		total += len(c)
	}
	t.Logf("%d shipped clips, %d bytes", len(clips), total)
	if d := Duration(clips[KeyPrompt]); d < time.Second || d > 5*time.Second {
		t.Errorf("the prompt plays %v", d)
	}
	if d := Duration(pcm(16, make([]byte, 32000))); d != time.Second {
		t.Errorf("a second of 16 kHz 16-bit plays %v", d)
	}
}

// A shipped clip plays through ALSA's aplay (Debian's alsa-utils) to the
// null device, at a lowered volume.
func TestAplayNullDevice(t *testing.T) {
	if _, err := exec.LookPath("aplay"); err != nil {
		t.Fatalf("%v: install Debian's alsa-utils (scripts/deps does)", err)
	}
	wav, err := Scale(DefaultClips()[KeyPrompt], 50)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Aplay{Device: "null"}).Play(context.Background(), Clip{Key: KeyPrompt, WAV: wav}); err != nil {
		t.Fatalf("aplay -D null: %v", err)
	}
	err = (Aplay{Device: "evalpad_no_such_device"}).Play(context.Background(), Clip{Key: KeyPrompt, WAV: wav})
	if err == nil || !strings.Contains(err.Error(), "evalpad_no_such_device") {
		t.Fatalf("aplay on a device ALSA does not know: %v", err)
	}
}

// Scale multiplies the samples, 8- and 16-bit, and leaves the header.
func TestScale(t *testing.T) {
	wav16 := pcm(16, []byte{0x00, 0x40, 0x00, 0xC0}) // 16384, -16384
	out, err := Scale(wav16, 50)
	if err != nil {
		t.Fatal(err)
	}
	d := out[len(out)-4:]
	if a, b := int16(binary.LittleEndian.Uint16(d)), int16(binary.LittleEndian.Uint16(d[2:])); a != 8192 || b != -8192 {
		t.Errorf("16-bit at 50%%: %d %d", a, b)
	}
	out, _ = Scale(pcm(8, []byte{228, 28}), 0)
	if d := out[len(out)-2:]; d[0] != 128 || d[1] != 128 {
		t.Errorf("8-bit at 0%%: %v", d)
	}
	if string(out[:44]) != string(pcm(8, []byte{228, 28})[:44]) {
		t.Error("Scale changed the header")
	}
	for _, bad := range [][]byte{nil, []byte("RIFF\x00\x00\x00\x00WAVEjunk"), pcm(24, []byte{1, 2, 3})} {
		if _, err := Scale(bad, 50); err == nil {
			t.Errorf("Scale(%q) succeeded", bad)
		}
	}
}

// A config's clip that is not a PCM WAV is refused, naming its key.
func TestClipsFromFiles(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "p.wav"), filepath.Join(dir, "t.wav")
	os.WriteFile(good, pcm(16, []byte{1, 0}), 0o644)
	os.WriteFile(bad, []byte("ID3 an mp3"), 0o644)
	c, err := Clips(map[string]string{KeyPrompt: good})
	if err != nil || len(c[KeyPrompt]) != 46 || c[KeyThanks] == nil {
		t.Fatalf("Clips: %v", err)
	}
	if _, err := Clips(map[string]string{KeyThanks: bad}); err == nil || !strings.Contains(err.Error(), "voice.clips.thanks") {
		t.Fatalf("Clips with an mp3: %v", err)
	}
}

// pcm is a mono 16 kHz PCM WAV of bits-bit samples data.
func pcm(bits int, data []byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00")
	le16 := func(v int) { b = binary.LittleEndian.AppendUint16(b, uint16(v)) }
	le32 := func(v int) { b = binary.LittleEndian.AppendUint32(b, uint32(v)) }
	le16(1)
	le16(1)
	le32(16000)
	le32(16000 * bits / 8)
	le16(bits / 8)
	le16(bits)
	b = append(b, "data"...)
	le32(len(data))
	b = append(b, data...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// The cues: a new session's prompt, the thanks of a new record, and on a
// buttons-only pad the title and each reason the focus reaches; a stale
// view says nothing.
func TestCues(t *testing.T) {
	r := rating.DefaultReasons().Two
	c := &Cues{}
	steps := []struct {
		v    pad.View
		want []string
	}{
		{pad.View{Version: 1, Screen: pad.ScreenIdle}, nil},
		{pad.View{Version: 2, Screen: pad.ScreenRate, Session: &pad.SessionView{ID: "S1"}}, []string{KeyPrompt}},
		{pad.View{Version: 3, Screen: pad.ScreenReasons, Session: &pad.SessionView{ID: "S1"}, ButtonsOnly: true, Offered: r, Focus: 0},
			[]string{KeyReasons, ReasonKey(r[0].Code)}},
		{pad.View{Version: 5, Screen: pad.ScreenReasons, Session: &pad.SessionView{ID: "S1"}, ButtonsOnly: true, Offered: r, Focus: 1},
			[]string{ReasonKey(r[1].Code)}},
		{pad.View{Version: 4, Screen: pad.ScreenReasons, ButtonsOnly: true, Offered: r, Focus: 2}, nil}, // stale
		{pad.View{Version: 6, Screen: pad.ScreenThanks, Last: &pad.RecordView{ID: "R1"}}, []string{KeyThanks}},
		{pad.View{Version: 7, Screen: pad.ScreenThanks, Last: &pad.RecordView{ID: "R1"}}, nil},
		{pad.View{Version: 8, Screen: pad.ScreenRate, Session: &pad.SessionView{ID: "S2"}, Last: &pad.RecordView{ID: "R1"}}, []string{KeyPrompt}},
		{pad.View{Version: 9, Screen: pad.ScreenReasons, Session: &pad.SessionView{ID: "S2"}, Offered: r, Focus: -1}, nil}, // touch: read when asked
	}
	for i, s := range steps {
		if got := c.Next(s.v); strings.Join(got, ",") != strings.Join(s.want, ",") {
			t.Errorf("step %d (%s): %q, want %q", i, s.v.Screen, got, s.want)
		}
	}
	if got := ReadOut(steps[len(steps)-1].v); len(got) != len(r)+1 || got[0] != KeyReasons {
		t.Errorf("ReadOut: %q", got)
	}
}
