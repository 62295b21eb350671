package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"evalpad/agent/voice"
)

// GET /sim/voice lists the clips played with their times, GET
// /sim/voice/clips/{key} serves one as WAV, POST /sim/voice/read reads
// out (409 when the pad cannot), and the page is told each key.
func TestVoiceRoutes(t *testing.T) {
	var told []string
	v := &Voice{OnPlay: func(k string) { told = append(told, k) }}
	readErr := errors.New("agent: read out: only the reasons screen is read out")
	reads := 0
	mux := http.NewServeMux()
	v.Register(mux, func() error { reads++; return readErr })
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a clip cut short at once: Play does not wait for it
	wav := voice.DefaultClips()[voice.KeyPrompt]
	if err := v.Play(ctx, voice.Clip{Key: voice.KeyPrompt, At: at, WAV: wav}); err != nil {
		t.Fatal(err)
	}
	get := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	var played []Played
	if w := get("GET", "/sim/voice"); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &played) != nil ||
		len(played) != 1 || played[0].Key != "prompt" || played[0].At != "2026-11-25T10:00:00Z" {
		t.Fatalf("GET /sim/voice: %d %s", w.Code, w.Body)
	}
	if w := get("GET", "/sim/voice/clips/prompt"); w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" || w.Body.Len() != len(wav) {
		t.Errorf("GET the prompt's clip: %d %s, %d bytes", w.Code, w.Header().Get("Content-Type"), w.Body.Len())
	}
	if w := get("GET", "/sim/voice/clips/thanks"); w.Code != 404 {
		t.Errorf("a clip not played: %d", w.Code)
	}
	if w := get("POST", "/sim/voice/read"); w.Code != 409 || reads != 1 {
		t.Errorf("read out off the reasons screen: %d, %d reads", w.Code, reads)
	}
	readErr = nil
	if w := get("POST", "/sim/voice/read"); w.Code != 200 || reads != 2 {
		t.Errorf("read out: %d", w.Code)
	}
	if len(told) != 1 || told[0] != "prompt" {
		t.Errorf("the page was told %q", told)
	}
}
