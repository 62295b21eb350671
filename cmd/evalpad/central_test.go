package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"evalpad/agent/config"
	"evalpad/sync/protocol"
)

// A config from the central applies live to the pad, survives a restart,
// and one that does not validate changes nothing.
func TestCentralConfigLiveAndPersisted(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	a, err := newAgent(config.Default(), dir, log)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	a.onConfig = append(a.onConfig, func(c config.Config) { told = append(told, c.Hall+"/"+c.Window) })

	c, err := protocol.ParseConfig([]byte(`{"id":"cfg1","hall":"泰山区政务服务中心","window":"7",
		"staff":{"id":"TA0456","name":"王五"},"rules":{"walkin":true,"session_timeout":"2m"},
		"reasons":{"1":[{"code":"199","text":"办事效率极低"}],"2":[{"code":"299","text":"等候时间过长"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.applyCentral(c); err != nil {
		t.Fatalf("apply: %v", err)
	}
	v := a.pad.View()
	if !v.Walkin || v.OnDuty.ID != "TA0456" || a.config().Hall != "泰山区政务服务中心" || len(told) != 1 || told[0] != "泰山区政务服务中心/7" {
		t.Fatalf("not applied live: view %+v, hall %q, told %v", v, a.config().Hall, told)
	}
	// A walk-in 2★ offers the central's reasons.
	out, err := a.pad.Press(2)
	if err != nil || out.Result != "reasons" {
		t.Fatalf("press: %+v %v", out, err)
	}
	if v := a.pad.View(); len(v.Offered) != 1 || v.Offered[0].Code != "299" {
		t.Errorf("reasons offered %+v, want the central's", v.Offered)
	}

	// Invalid: a window too long. Nothing changes, and the error names it.
	bad, err := protocol.ParseConfig([]byte(`{"window":"一二三四五六七八九十一二三四五六七"}`))
	if err == nil {
		if err := a.applyCentral(bad); err == nil {
			t.Error("a window of 17 characters was applied")
		}
	}
	if a.config().Window != "7" {
		t.Errorf("window changed to %q by a rejected config", a.config().Window)
	}
	// Texts replace the screen's; an unknown key changes nothing.
	tx, err := protocol.ParseConfig([]byte(`{"window":"8","texts":{"thanks":"谢谢您的评价"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.applyCentral(tx); err != nil || a.config().Window != "8" || a.config().Texts["thanks"] != "谢谢您的评价" {
		t.Errorf("texts: %v, window %q, texts %v", err, a.config().Window, a.config().Texts)
	}
	if ux, err := protocol.ParseConfig([]byte(`{"window":"9","texts":{"goodbye":"再见"}}`)); err == nil {
		if err := a.applyCentral(ux); err == nil || !strings.Contains(err.Error(), "texts.goodbye") {
			t.Errorf("unknown text key: %v", err)
		}
	}
	if a.config().Window != "8" {
		t.Errorf("a rejected config changed the window to %q", a.config().Window)
	}
	// A text the font cannot draw is refused when the pad has a screen.
	a.checkGlyphs = func(c config.Config) error {
		if strings.Contains(c.Texts["thanks"], "𠮷") {
			return errors.New("font lacks 𠮷")
		}
		return nil
	}
	if gx, err := protocol.ParseConfig([]byte(`{"texts":{"thanks":"𠮷"}}`)); err == nil {
		if err := a.applyCentral(gx); err == nil {
			t.Error("a text the font cannot draw was applied")
		}
	}
	a.pad.Close()
	a.close()

	// The next start begins from what the central set, merged.
	b, err := newAgent(config.Default(), dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	got := b.config()
	if got.Hall != "泰山区政务服务中心" || got.Window != "8" || got.Staff.ID != "TA0456" || !got.Rules.Walkin ||
		got.Rules.SessionTimeout.Duration != 2*time.Minute || got.Texts["thanks"] != "谢谢您的评价" || got.Reasons.Two[0].Code != "299" || got.Reasons.One[0].Code != "199" {
		t.Errorf("after restart %+v", got)
	}
}
