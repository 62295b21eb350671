package link_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"evalpad/sync/link"
	"evalpad/sync/protocol"
)

func TestDownlink(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	ag := r.agent()
	st := newStore(t, 0)
	l := r.start(link.Options{Broker: r.b.URL()}, r.outbox(st), ag)
	r.until("connect", func() bool { return c.online() && l.Counters().Connected })
	session := `{"session_id":"S-1","mode":"single","staff":{"id":"TA1","name":"李四"},"cases":[{"project_no":"P1","task_name":"企业设立登记"}]}`
	steps := []struct {
		suffix, payload string
		want            *protocol.CmdResult // nil: no answer (no id)
	}{
		{protocol.DownSession, session, &protocol.CmdResult{ID: "S-1", Type: "session", OK: true}},
		{protocol.DownSession, `{"session_id":"S-CLOSED","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"x"}]}`,
			&protocol.CmdResult{ID: "S-CLOSED", Type: "session", Error: "already closed"}},
		{protocol.DownSession, `{"session_id":"S-2","mode":"batch"}`, &protocol.CmdResult{ID: "S-2", Type: "session", Error: "staff.id: required"}},
		{protocol.DownCmd, `{"id":"c1","cmd":"pause"}`, &protocol.CmdResult{ID: "c1", Type: "cmd", OK: true}},
		{protocol.DownCmd, `{"id":"c2","cmd":"reboot"}`, &protocol.CmdResult{ID: "c2", Type: "cmd", Error: `unknown command: cmd: "reboot"`}},
		{protocol.DownCmd, `{"id":"c3","cmd":"print_receipt","project_no":"P1","task_name":"企业设立登记"}`, &protocol.CmdResult{ID: "c3", Type: "cmd", Error: "not supported yet"}},
		{protocol.DownCmd, `{"id":"c4","cmd":"resume"}`, &protocol.CmdResult{ID: "c4", Type: "cmd", Error: "agent panicked"}},
		{protocol.DownCmd, `{"id":"c5","cmd":"message","text":7}`, &protocol.CmdResult{ID: "c5", Type: "cmd", Error: "text: expected string"}},
		{protocol.DownCmd, `{"cmd":"pause"}`, nil},
		{protocol.DownCmd, `garbage`, nil},
		{protocol.DownAck, `{"ids":["x"]}`, nil},
		{protocol.DownConfig, `{"id":"cfg1","rules":{"min_interval":"1h"}}`, &protocol.CmdResult{ID: "cfg1", Type: "config", Error: "rules.min_interval"}},
		{protocol.DownConfig, `{"id":"cfg2","window":"12"}`, &protocol.CmdResult{ID: "cfg2", Type: "config", OK: true}},
		{"down/firmware", `{}`, nil},
	}
	wantN := 0
	for _, s := range steps {
		c.send(s.suffix, s.payload)
		if s.want != nil {
			wantN++
		}
	}
	c.send(protocol.DownCmd, `{"id":"last","cmd":"pause"}`)
	r.until("the answers", func() bool { return len(c.results()) == wantN+1 })
	got := c.results()
	i := 0
	for _, s := range steps {
		if s.want == nil {
			continue
		}
		r := got[i]
		i++
		if r.ID != s.want.ID || r.Type != s.want.Type || r.OK != s.want.OK || !strings.Contains(r.Error, s.want.Error) {
			t.Errorf("%s %s: answer %+v, want %+v", s.suffix, s.payload, r, *s.want)
		}
	}
	wantCalls := []string{"session S-1", "session S-CLOSED", "cmd pause", "cmd print_receipt", "cmd resume", "config cfg2", "cmd pause"}
	if calls := ag.called(); !slices.Equal(calls, wantCalls) {
		t.Errorf("agent calls %q, want %q", calls, wantCalls)
	}
	if k := l.Counters(); k.Rejected != 11 || !k.Connected || k.Connects != 1 {
		t.Errorf("counters %+v: want 11 rejected, still on its first connection", k)
	}

	// Every message was acked, the rejected ones too (they will never be
	// valid): the next link on the same session gets none of them again,
	// only what the central sends next (the broker keeps the order).
	l.stop()
	ag2 := r.agent()
	l2 := r.start(link.Options{Broker: r.b.URL()}, r.outbox(st), ag2)
	c.send(protocol.DownCmd, `{"id":"next","cmd":"pause"}`)
	r.until("the next answer", func() bool { return len(c.results()) == wantN+2 })
	if res := c.results()[wantN+1]; res.ID != "next" || !res.OK {
		t.Errorf("answer %+v, want next ok", res)
	}
	if calls := ag2.called(); !slices.Equal(calls, []string{"cmd pause"}) {
		t.Errorf("the next link's agent calls %q: something was not acked", calls)
	}
	if k := l2.Counters(); k.Rejected != 0 || k.Downlinks != 1 {
		t.Errorf("the next link's counters %+v: want one downlink, none rejected", k)
	}
}

// gate holds the link in an agent call: the first call named call blocks
// until release is closed; entered is closed when it begins.
func gate(call string) (f func(string), entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	return func(c string) {
		if c == call {
			once.Do(func() { close(entered); <-release })
		}
	}, entered, release
}

// TestDownlinkQueuedAtStopComesAgain: the agent is busy with a session
// when the link is told to stop. What the central sent meanwhile is neither
// started by the stopping link nor acked, so the broker gives it to the next
// link (same device, same store), which hands it to its agent. The session
// that was being handled is finished and acked: it does not come again.
func TestDownlinkQueuedAtStopComesAgain(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	st := r.outbox(newStore(t, 0))
	ag1 := r.agent()
	var entered, release chan struct{}
	ag1.gate, entered, release = gate("session S-1")
	l1 := r.start(link.Options{Broker: r.b.URL()}, st, ag1)
	r.until("connect", c.online)
	c.send(protocol.DownSession, `{"session_id":"S-1","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"x"}]}`)
	recv(r, "the agent to open S-1", entered)
	c.send(protocol.DownCmd, `{"id":"c2","cmd":"pause"}`)
	c.send(protocol.DownConfig, `{"id":"cfg3","window":"12"}`)
	l1.cancel()
	close(release)
	recv(r, "the link to stop", l1.done)

	ag2 := r.agent()
	r.start(link.Options{Broker: r.b.URL()}, st, ag2)
	r.until("the next link's agent", func() bool { return len(ag2.called()) >= 2 })
	if calls := ag1.called(); !slices.Equal(calls, []string{"session S-1"}) {
		t.Errorf("stopped link's agent calls %q, want only S-1", calls)
	}
	if calls := ag2.called(); !slices.Equal(calls, []string{"cmd pause", "config cfg3"}) {
		t.Errorf("next link's agent calls %q, want the cmd and the config", calls)
	}
	r.until("the answers", func() bool { return len(c.results()) == 3 })
	for i, id := range []string{"S-1", "c2", "cfg3"} {
		if res := c.results()[i]; res.ID != id || !res.OK {
			t.Errorf("answer %d: %+v, want %s ok", i, res, id)
		}
	}
}

// TestDownlinkDuringGoodbyeComesAgain: a session, a command and the
// central's ack that reach the pad while its link says goodbye (after it
// stopped taking messages) are not handled, so they are not acked: the next
// link gets all three; the ack leaves the outbox then.
func TestDownlinkDuringGoodbyeComesAgain(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	c.drop = func(int) bool { return true } // only the ack sent by hand below
	st := newStore(t, 2)
	ob := r.outbox(st)
	ag1 := r.agent()
	l1 := r.start(link.Options{Broker: r.b.URL()}, ob, ag1)
	r.until("the records", func() bool { return c.online() && c.messages() == 1 })
	var entered, release chan struct{}
	ag1.gate, entered, release = gate("health") // the offline status asks for the health
	l1.cancel()
	recv(r, "the goodbye", entered)
	c.send(protocol.DownSession, `{"session_id":"S-LATE","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"x"}]}`)
	c.send(protocol.DownCmd, `{"id":"c-late","cmd":"pause"}`)
	c.send(protocol.DownAck, string(protocol.Ack{IDs: c.ids()}.Marshal()))
	close(release)
	recv(r, "the link to stop", l1.done)

	ag2 := r.agent()
	r.start(link.Options{Broker: r.b.URL()}, ob, ag2)
	r.until("the late messages", func() bool { return len(ag2.called()) >= 2 && pending(st) == 0 })
	if calls := ag1.called(); len(calls) != 0 {
		t.Errorf("stopped link's agent calls %q, want none", calls)
	}
	if calls := ag2.called(); !slices.Equal(calls, []string{"session S-LATE", "cmd pause"}) {
		t.Errorf("next link's agent calls %q, want the session and the cmd", calls)
	}
}

// TestAckNotStoredComesAgain: a down/ack whose commit fails is not acked:
// the link drops the connection, and the broker gives the same ack to the
// next one, which stores it. The central acks only its first message, so
// only that ack, given again, can empty the outbox.
func TestAckNotStoredComesAgain(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	c.drop = func(n int) bool { return n > 1 }
	st := newStore(t, 10)
	ob := r.outbox(st)
	ob.failAcks.Store(1)
	l := r.start(link.Options{Broker: r.b.URL()}, ob, r.agent())
	r.until("the failed commit", func() bool { return ob.acks.Load() == 1 })
	r.fire("the reconnect backoff", testBackoff.Max)
	r.until("the outbox to drain", func() bool { return pending(st) == 0 && l.Counters().Acked == 10 })
	if k := l.Counters(); k.Connects != 2 || k.Acked != 10 {
		t.Errorf("counters %+v: want 10 acked on the second connection", k)
	}
}

// TestDownlinkAnsweredLater: a command the agent defers (ErrLater, a
// firmware update) gets no cmdresult until the agent answers it with
// Answer; it is remembered all the same, so it is not run twice.
func TestDownlinkAnsweredLater(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	ag := r.agent()
	l := r.start(link.Options{Broker: r.b.URL()}, r.outbox(newStore(t, 0)), ag)
	r.until("connect", func() bool { return c.online() && l.Counters().Connected })
	upd := `{"id":"u1","cmd":"update","url":"https://fw.example/a.fw","sha256":"` + strings.Repeat("ab", 32) + `","size":1000,"version":"1.1.0"}`
	c.send(protocol.DownCmd, upd)
	c.send(protocol.DownCmd, `{"id":"p1","cmd":"pause"}`)
	r.until("the pause's answer", func() bool { return len(c.results()) == 1 })
	if res := c.results()[0]; res.ID != "p1" {
		t.Fatalf("answer %+v: the deferred update was answered", res)
	}
	if err := l.Answer(r.ctx, protocol.CmdResult{ID: "u1", Type: "cmd", OK: true}); err != nil {
		t.Fatal(err)
	}
	r.until("the update's answer", func() bool { return len(c.results()) == 2 })
	if res := c.results()[1]; res.ID != "u1" || !res.OK {
		t.Errorf("answer %+v, want u1 ok", res)
	}
	c.send(protocol.DownCmd, upd) // the same command again: a replay
	r.until("the replay's answer", func() bool { return len(c.results()) == 3 })
	if res := c.results()[2]; res.ID != "u1" || res.OK || !strings.Contains(res.Error, "replay") {
		t.Errorf("replayed update: %+v", res)
	}
	if calls := ag.called(); !slices.Equal(calls, []string{"cmd update", "cmd pause"}) {
		t.Errorf("agent calls %q", calls)
	}
}
