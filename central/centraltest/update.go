package centraltest

import (
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/sync/protocol"
	"evalpad/trust"
)

// UpdateStep is one thing a simulated pad publishes about an update
// command: an answer on up/cmdresult, or an up/status update report
// (retained); each gets the command's id.
type UpdateStep struct {
	Result *protocol.CmdResult
	Status *protocol.UpdateStatus
}

// Updater plays the pad's side of firmware updates: it takes the pad's
// down/cmd, keeps each update command whose signature verifies with the
// central's key, and answers it as Answer says.
type Updater struct {
	Pad    *Pad
	Answer func(c protocol.Cmd) []UpdateStep

	mu   sync.Mutex
	cmds []protocol.Cmd
	bad  []string
	wg   sync.WaitGroup
}

// AnswerUpdates subscribes cl (the pad's connection) to its down/cmd.
func (p *Pad) AnswerUpdates(t testing.TB, cl mqtt.Client, answer func(c protocol.Cmd) []UpdateStep) *Updater {
	t.Helper()
	u := &Updater{Pad: p, Answer: answer}
	central, err := trust.ParsePublicKey(p.Enrolled.CentralKey)
	if err != nil {
		t.Fatal(err)
	}
	topic := protocol.Topic(p.ID, protocol.DownCmd)
	tok := cl.Subscribe(topic, 1, func(c mqtt.Client, m mqtt.Message) {
		if _, err := trust.VerifyDown(central, topic, m.Payload(), time.Now()); err != nil {
			u.fail(err.Error())
			return
		}
		cmd, err := protocol.ParseCmd(m.Payload())
		if err != nil || cmd.Cmd != protocol.CmdUpdate {
			u.fail("not an update command: " + string(m.Payload()))
			return
		}
		u.mu.Lock()
		u.cmds = append(u.cmds, cmd)
		u.mu.Unlock()
		a := answer(cmd)
		// Not in paho's handler: a publish waited on there can stall it.
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			for _, step := range a {
				if step.Result != nil {
					r := *step.Result
					r.ID, r.Type = cmd.ID, "cmd"
					c.Publish(protocol.Topic(p.ID, protocol.UpCmdResult), 1, false, r.Marshal()).WaitTimeout(10 * time.Second)
				}
				if step.Status != nil {
					s := *step.Status
					s.ID = cmd.ID
					st := protocol.Status{Online: true, Firmware: s.From, Update: &s}
					c.Publish(protocol.Topic(p.ID, protocol.UpStatus), 1, true, st.Marshal()).WaitTimeout(10 * time.Second)
				}
			}
		}()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("pad %s subscribe down/cmd: %v", p.ID, tok.Error())
	}
	t.Cleanup(u.wg.Wait)
	return u
}

func (u *Updater) fail(why string) {
	u.mu.Lock()
	u.bad = append(u.bad, why)
	u.mu.Unlock()
}

// Cmds are the update commands received so far.
func (u *Updater) Cmds() []protocol.Cmd {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]protocol.Cmd(nil), u.cmds...)
}

// Refused are the reasons of the messages on down/cmd the pad refused
// (a bad signature, not an update).
func (u *Updater) Refused() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.bad...)
}

// Installs is the answer of a pad that takes the update from version
// from: it downloads (the command's size, in two reports), verifies,
// installs, answers ok on up/cmdresult, restarts on trial and marks good;
// outcome replaces good (protocol.UpdateRolledBack; protocol.UpdateFailed
// ends it before the switch).
func Installs(c protocol.Cmd, from, outcome string) []UpdateStep {
	st := func(state string, bytes int64, errText string) UpdateStep {
		s := protocol.UpdateStatus{State: state, Version: c.Version, From: from, Bytes: bytes, Error: errText}
		if bytes > 0 {
			s.Total = c.Size
		}
		return UpdateStep{Status: &s}
	}
	steps := []UpdateStep{
		st(protocol.UpdateDownloading, c.Size/2, ""),
		st(protocol.UpdateDownloading, c.Size, ""),
		st(protocol.UpdateVerifying, c.Size, ""),
		st(protocol.UpdateInstalling, c.Size, ""),
	}
	switch outcome {
	case protocol.UpdateFailed:
		return append(steps, st(protocol.UpdateFailed, c.Size, "firmware: not enough space"))
	case protocol.UpdateRolledBack:
		return append(steps, UpdateStep{Result: &protocol.CmdResult{OK: true}}, st(protocol.UpdateTrial, c.Size, ""),
			st(protocol.UpdateRolledBack, c.Size, "health check: broker not reached in 2m"))
	}
	return append(steps, UpdateStep{Result: &protocol.CmdResult{OK: true}}, st(protocol.UpdateTrial, c.Size, ""), st(protocol.UpdateGood, c.Size, ""))
}

// Refuses is the answer of a pad that refuses the command (ok false on
// up/cmdresult), as for an artifact that does not verify.
func Refuses(why string) []UpdateStep {
	return []UpdateStep{{Result: &protocol.CmdResult{OK: false, Error: why}}}
}
