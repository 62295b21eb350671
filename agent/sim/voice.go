package sim

import (
	"context"
	"net/http"
	"sync"
	"time"

	"evalpad/agent/voice"
	"evalpad/pad/localapi"
)

// Voice is the simulator's sound device: a voice.Player that plays nothing
// on the host but lists each clip (GET /sim/voice) and tells the page
// (OnPlay), which plays the same WAV in the browser (GET
// /sim/voice/clips/{key}).
type Voice struct {
	OnPlay func(key string) // the page's "voice" event

	mu     sync.Mutex
	played []Played
	wavs   map[string][]byte
}

// Played is one clip the pad played, and when (RFC 3339, the pad's clock).
type Played struct {
	Key string `json:"key"`
	At  string `json:"at"`
}

const keepPlayed = 200

// Play lists c, hands it to the page and takes as long as the clip plays
// (or until a newer cue cuts it), so that the pad's clips follow one
// another in the browser as they would on a speaker.
func (v *Voice) Play(ctx context.Context, c voice.Clip) error {
	v.mu.Lock()
	if v.wavs == nil {
		v.wavs = map[string][]byte{}
	}
	v.wavs[c.Key] = c.WAV
	v.played = append(v.played, Played{Key: c.Key, At: c.At.Format(time.RFC3339Nano)})
	if len(v.played) > keepPlayed {
		v.played = append(v.played[:0], v.played[len(v.played)-keepPlayed:]...)
	}
	v.mu.Unlock()
	if v.OnPlay != nil {
		v.OnPlay(c.Key)
	}
	t := time.NewTimer(voice.Duration(c.WAV))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// Register adds GET /sim/voice (what was played, oldest first), GET
// /sim/voice/clips/{key} (a clip played, as WAV) and POST /sim/voice/read
// (the reasons read out: readOut) to mux.
func (v *Voice) Register(mux *http.ServeMux, readOut func() error) {
	mux.HandleFunc("GET /sim/voice", func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		out := append([]Played{}, v.played...)
		v.mu.Unlock()
		localapi.JSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /sim/voice/clips/{key}", func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		b, ok := v.wavs[r.PathValue("key")]
		v.mu.Unlock()
		if !ok {
			localapi.Error(w, http.StatusNotFound, "no clip of that key was played")
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(b)
	})
	mux.HandleFunc("POST /sim/voice/read", func(w http.ResponseWriter, r *http.Request) {
		if err := readOut(); err != nil {
			localapi.Error(w, http.StatusConflict, err.Error())
			return
		}
		localapi.JSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}
