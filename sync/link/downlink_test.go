package link_test

import (
	"slices"
	"strings"
	"testing"

	"evalpad/sync/link"
	"evalpad/sync/protocol"
)

func TestDownlink(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	ag := r.agent()
	st := newStore(t, 0)
	l, _ := r.start(link.Options{Broker: r.b.URL()}, r.outbox(st), ag)
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
}
