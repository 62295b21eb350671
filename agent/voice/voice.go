// Package voice speaks the pad's prompts: a clip (a WAV file) per key,
// played one at a time on a worker so that the state machine never waits
// for a sound. Follow turns the pad's views into keys: the prompt when a
// session opens, the thanks once a record is committed, the focused
// reason on a buttons-only pad; Say speaks any key (the reasons read out
// when the citizen asks). A player that fails is reported through
// Options.OnError and the next clip is tried again: a broken sound device
// is a fault to list, never a blocked rating.
//
// The default clips are embedded (clips/*.wav, made by scripts/voice-clips
// from clips/texts.tsv with espeak-ng's Mandarin voice); a config names
// others per key.
package voice

import (
	"bytes"
	"context"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// The keys the pad speaks besides "reason.<code>" (a reason's text).
const (
	KeyPrompt  = "prompt"  // 请您对本次服务进行评价: a session opened
	KeyThanks  = "thanks"  // 感谢您的评价: the record is committed
	KeyReasons = "reasons" // 请选择不满意的原因: before the reasons read out
)

// ReasonKey is the key of the clip that reads reason code out.
func ReasonKey(code string) string { return "reason." + code }

//go:embed clips/*.wav
var shipped embed.FS

// DefaultClips returns the shipped clips by key.
func DefaultClips() map[string][]byte {
	out := map[string][]byte{}
	ents, _ := shipped.ReadDir("clips")
	for _, e := range ents {
		b, err := shipped.ReadFile(path.Join("clips", e.Name()))
		if err == nil {
			out[strings.TrimSuffix(e.Name(), ".wav")] = b
		}
	}
	return out
}

// Clips returns the shipped clips with those files names per key on top,
// each checked to be a PCM WAV (8- or 16-bit) the player can scale. The
// error names the key and the file.
func Clips(files map[string]string) (map[string][]byte, error) {
	out := DefaultClips()
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := os.ReadFile(files[k])
		if err != nil {
			return nil, fmt.Errorf("voice.clips.%s: %w", k, err)
		}
		if _, err := parseWAV(b); err != nil {
			return nil, fmt.Errorf("voice.clips.%s: %s: %w", k, files[k], err)
		}
		out[k] = b
	}
	return out, nil
}

// wavData is where a PCM WAV's samples are.
type wavData struct {
	bits     int
	rate     int // bytes a second
	from, to int // the data chunk's bytes
}

// Duration is how long the WAV clip plays; 0 if it is not one.
func Duration(clip []byte) time.Duration {
	w, err := parseWAV(clip)
	if err != nil || w.rate <= 0 {
		return 0
	}
	return time.Duration(w.to-w.from) * time.Second / time.Duration(w.rate)
}

// parseWAV finds the samples of a RIFF WAVE file of 8- or 16-bit PCM.
func parseWAV(b []byte) (wavData, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return wavData{}, errors.New("not a WAV file (RIFF WAVE)")
	}
	var w wavData
	for i := 12; i+8 <= len(b); {
		id, n := string(b[i:i+4]), int(binary.LittleEndian.Uint32(b[i+4:i+8]))
		body := i + 8
		if n < 0 || body+n > len(b) {
			n = len(b) - body // a data chunk's length may be a streaming placeholder
		}
		switch id {
		case "fmt ":
			if n < 16 {
				return wavData{}, errors.New("WAV fmt chunk too short")
			}
			if f := binary.LittleEndian.Uint16(b[body:]); f != 1 {
				return wavData{}, fmt.Errorf("WAV format %d: only PCM (1) is played", f)
			}
			w.bits = int(binary.LittleEndian.Uint16(b[body+14:]))
			w.rate = int(binary.LittleEndian.Uint32(b[body+8:]))
			if w.bits != 8 && w.bits != 16 {
				return wavData{}, fmt.Errorf("WAV of %d-bit samples: 8 or 16 are played", w.bits)
			}
		case "data":
			if w.bits == 0 {
				return wavData{}, errors.New("WAV data before its fmt chunk")
			}
			w.from, w.to = body, body+n
			return w, nil
		}
		i = body + n + n&1
	}
	return wavData{}, errors.New("WAV without a data chunk")
}

// Scale returns a copy of the WAV clip with its samples at volume percent
// (0..100; 100 is the clip as recorded).
func Scale(clip []byte, volume int) ([]byte, error) {
	w, err := parseWAV(clip)
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(clip)
	if volume >= 100 {
		return out, nil
	}
	v := max(volume, 0)
	d := out[w.from:w.to]
	switch w.bits {
	case 8:
		for i, s := range d {
			d[i] = byte((int(s)-128)*v/100 + 128)
		}
	case 16:
		for i := 0; i+1 < len(d); i += 2 {
			s := int(int16(binary.LittleEndian.Uint16(d[i:])))
			binary.LittleEndian.PutUint16(d[i:], uint16(int16(s*v/100)))
		}
	}
	return out, nil
}

// A Player plays one clip to its end, or until ctx ends.
type Player interface {
	Play(ctx context.Context, c Clip) error
}

// Clip is one clip to play: its key, when the voice started it (on the
// agent's clock) and the WAV at the configured volume.
type Clip struct {
	Key string
	At  time.Time
	WAV []byte
}

// Aplay plays clips with ALSA's aplay (Debian's alsa-utils) on Device
// ("" is ALSA's default), the WAV on its standard input.
type Aplay struct {
	Device string
	Bin    string // "" is aplay on PATH
}

// Play runs aplay; its error says what aplay said.
func (p Aplay) Play(ctx context.Context, c Clip) error {
	bin := p.Bin
	if bin == "" {
		bin = "aplay"
	}
	args := []string{"-q", "-t", "wav"}
	if p.Device != "" {
		args = append(args, "-D", p.Device)
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "-")...)
	cmd.Stdin = bytes.NewReader(c.WAV)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil // cut short by a newer clip or the end
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("aplay -D %q: %w: %s", p.Device, err, msg)
	}
	return nil
}

// Options configure a Voice.
type Options struct {
	Clips  map[string][]byte // by key (Clips); a key without a clip is skipped
	Volume int               // percent, 0..100
	Player Player
	Now    func() time.Time // the agent's clock, for Clip.At
	// OnError is told each failure, and nil after a clip played whole.
	OnError func(err error)
}

// Voice speaks keys one at a time on its worker (Run).
type Voice struct {
	o      Options
	mu     sync.Mutex
	queue  []string
	cancel context.CancelFunc // the clip playing now; nil none
	wake   chan struct{}
}

// New returns a voice; Run plays what Say and Follow ask.
func New(o Options) *Voice {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Voice{o: o, wake: make(chan struct{}, 1)}
}

// Say replaces what is still to be spoken with keys and cuts the clip now
// playing short: the newest cue is the one that matters (the focus moved
// on, a session opened). It never blocks.
func (v *Voice) Say(keys ...string) {
	v.mu.Lock()
	v.queue = append(v.queue[:0], keys...)
	if v.cancel != nil {
		v.cancel()
	}
	v.mu.Unlock()
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// Run plays the keys Say queues until ctx ends.
func (v *Voice) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-v.wake:
		}
		for {
			v.mu.Lock()
			if len(v.queue) == 0 || ctx.Err() != nil {
				v.mu.Unlock()
				break
			}
			key := v.queue[0]
			v.queue = v.queue[1:]
			pctx, cancel := context.WithCancel(ctx)
			v.cancel = cancel
			v.mu.Unlock()
			v.play(pctx, key)
			cancel()
			v.mu.Lock()
			v.cancel = nil
			v.mu.Unlock()
		}
	}
}

// PlayNow plays key's clip to its end, here and now, outside the worker
// (selftest); the error is the player's, or says there is no such clip.
func (v *Voice) PlayNow(ctx context.Context, key string) error {
	clip, ok := v.o.Clips[key]
	if !ok {
		return fmt.Errorf("voice: no clip %q", key)
	}
	wav, err := Scale(clip, v.o.Volume)
	if err == nil {
		err = v.o.Player.Play(ctx, Clip{Key: key, At: v.o.Now(), WAV: wav})
	}
	if err != nil {
		return fmt.Errorf("clip %s: %w", key, err)
	}
	return nil
}

func (v *Voice) play(ctx context.Context, key string) {
	clip, ok := v.o.Clips[key]
	if !ok {
		return
	}
	wav, err := Scale(clip, v.o.Volume)
	if err == nil {
		err = v.o.Player.Play(ctx, Clip{Key: key, At: v.o.Now(), WAV: wav})
	}
	if err != nil {
		err = fmt.Errorf("clip %s: %w", key, err)
	}
	if v.o.OnError != nil && ctx.Err() == nil {
		v.o.OnError(err)
	}
}
