package agent

import (
	"context"
	"fmt"

	"evalpad/agent/config"
	"evalpad/agent/voice"
	"evalpad/pad"
)

// buildVoice makes the pad's voice when cfg.Voice.Enabled: the clips
// (shipped, and the config's files on top), the player (Parts.Voice, else
// aplay on voice.device) and the cues that follow the pad. Its failures
// are listed in the state's faults as "voice: …"; a rating never waits.
func (a *Agent) buildVoice(cfg config.Config) error {
	if !cfg.Voice.Enabled {
		return nil
	}
	clips, err := voice.Clips(cfg.Voice.Clips)
	if err != nil {
		return err
	}
	player := a.parts.Voice
	if player == nil {
		player = voice.Aplay{Device: cfg.Voice.Device}
	}
	a.voice = voice.New(voice.Options{Clips: clips, Volume: cfg.Voice.Volume, Player: player, Now: a.clock.Now,
		OnError: func(err error) {
			if err == nil {
				a.voiceErr.Store(nil)
				return
			}
			if a.voiceErr.Load() == nil {
				a.log.Error("voice", "err", err) // once until a clip plays again
			}
			msg := err.Error()
			a.voiceErr.Store(&msg)
		}})
	if a.screen != nil {
		a.screen.OnReadOut(func() {
			if err := a.ReadOut(); err != nil {
				a.log.Info("read out", "err", err)
			}
		})
	}
	cues := &voice.Cues{}
	cues.Next(a.pad.View())
	a.detach = append(a.detach, a.pad.Subscribe(func(v pad.View) {
		if keys := cues.Next(v); keys != nil {
			a.voice.Say(keys...)
		}
	}))
	return nil
}

// runVoice plays what the pad says until ctx ends; nothing without a voice.
func (a *Agent) runVoice(ctx context.Context) {
	if a.voice != nil {
		a.voice.Run(ctx)
	}
}

// ReadOut reads the reasons screen out (its title, then every reason): what
// the citizen asks for with 朗读 on the screen, the 4 key on a buttons-only
// pad, or the simulator's 朗读原因 button. It is an error with no voice or off that screen.
func (a *Agent) ReadOut() error {
	if a.voice == nil {
		return fmt.Errorf("agent: read out: the voice is off (voice.enabled)")
	}
	keys := voice.ReadOut(a.pad.View())
	if keys == nil {
		return fmt.Errorf("agent: read out: only the reasons screen is read out")
	}
	a.voice.Say(keys...)
	return nil
}

// readOutKey is the button that asks for the reasons read out on a
// buttons-only pad (doc.go of display: 4 键 does nothing else there).
const readOutKey = 4

// buttonPress is a star button from the hardware: the pad's press, and on
// the reasons screen of a buttons-only pad the 4 key reads the reasons out.
func (a *Agent) buttonPress(star int) {
	if _, err := a.pad.Press(star); err != nil {
		a.log.Warn("press", "star", star, "err", err)
	}
	if star == readOutKey && a.voice != nil {
		if v := a.pad.View(); v.Screen == pad.ScreenReasons && v.ButtonsOnly {
			a.voice.Say(voice.ReadOut(v)...)
		}
	}
}
