package agent

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"evalpad/agent/config"
	"evalpad/sync/protocol"
)

func parseConfig(t testing.TB, s string) protocol.Config {
	t.Helper()
	c, err := protocol.ParseConfig([]byte(s))
	if err != nil {
		t.Fatalf("ParseConfig(%s): %v", s, err)
	}
	return c
}

// A config from the central applies live to the pad and its screen,
// survives a restart, and one that does not validate — or has a text the
// font cannot draw — changes nothing.
func TestCentralConfigLiveAndPersisted(t *testing.T) {
	cfg := testConfig(t)
	cfg.Rules.Walkin = true // the file allows it; the central turns it on
	a := build(t, cfg, Parts{Font: testFont(t)})
	c := parseConfig(t, `{"id":"cfg1","hall":"泰山区政务服务中心","window":"7",
		"staff":{"id":"TA0456","name":"王五"},"rules":{"walkin":true,"session_timeout":"2m"},
		"reasons":{"1":[{"code":"199","text":"办事效率极低"}],"2":[{"code":"299","text":"等候时间过长"}]}}`)
	if err := (downlink{a}).ApplyConfig(c); err != nil {
		t.Fatalf("apply: %v", err)
	}
	v := a.pad.View()
	if !v.Walkin || v.OnDuty.ID != "TA0456" || a.Config().Hall != "泰山区政务服务中心" {
		t.Fatalf("not applied live: view %+v, hall %q", v, a.Config().Hall)
	}
	if st, _ := a.Screen().Version(); st == 0 {
		t.Fatal("screen never changed")
	}
	// A walk-in 2★ offers the central's reasons.
	out, err := a.pad.Press(2)
	if err != nil || out.Result != "reasons" {
		t.Fatalf("press: %+v %v", out, err)
	}
	if v := a.pad.View(); len(v.Offered) != 1 || v.Offered[0].Code != "299" {
		t.Errorf("reasons offered %+v, want the central's", v.Offered)
	}
	for _, bad := range []struct{ msg, want string }{
		{`{"window":"9","texts":{"goodbye":"再见"}}`, "texts.goodbye"}, // not a screen text
		{`{"hall":"泰安\ue000中心"}`, "hall"},                            // no glyph in the font
		{`{"texts":{"thanks":"谢谢\ue000"}}`, "thanks"},
	} {
		c, err := protocol.ParseConfig([]byte(bad.msg))
		if err == nil {
			err = (downlink{a}).ApplyConfig(c)
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: applied, or the error does not name %s: %v", bad.msg, bad.want, err)
		}
	}
	if got := a.Config(); got.Window != "7" || got.Hall != "泰山区政务服务中心" {
		t.Errorf("a rejected config changed the window or hall: %q %q", got.Window, got.Hall)
	}
	if err := (downlink{a}).ApplyConfig(parseConfig(t, `{"window":"8","texts":{"thanks":"谢谢您的评价"}}`)); err != nil {
		t.Fatal(err)
	}
	a.Close()

	b := build(t, cfg, Parts{Font: testFont(t)})
	got := b.Config()
	if got.Hall != "泰山区政务服务中心" || got.Window != "8" || got.Staff.ID != "TA0456" || !got.Rules.Walkin ||
		got.Rules.SessionTimeout.Duration != 2*time.Minute || got.Texts["thanks"] != "谢谢您的评价" ||
		got.Reasons.Two[0].Code != "299" || got.Reasons.One[0].Code != "199" {
		t.Errorf("after restart %+v", got)
	}
}

// everyField is a down/config that sets every field protocol.Config has;
// the test fails when a field is added without being set here.
const everyField = `{"id":"all","hall":"泰山区政务服务中心","window":"7","staff":{"id":"TA0456","name":"王五"},
	"reasons":{"1":[{"code":"199","text":"办事效率极低"}],"2":[{"code":"299","text":"等候时间过长"}]},
	"rules":{"session_timeout":"2m","reasons_timeout":"30s","thanks_duration":"5s","min_interval":"10s","walkin":true},
	"texts":{"thanks":"谢谢您的评价"}}`

func allSet(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is not set by the test's message", path)
			return
		}
		allSet(t, v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			allSet(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Map, reflect.Slice, reflect.String:
		if v.Len() == 0 {
			t.Errorf("%s is not set by the test's message", path)
		}
	}
}

// No field the central sets can apply live and be lost at the next start:
// the config in force after a restart is the one in force before it,
// whatever the central sent, in whatever pieces.
func TestCentralConfigRoundTrip(t *testing.T) {
	all := parseConfig(t, everyField)
	allSet(t, reflect.ValueOf(all), "Config")
	cfg := testConfig(t)
	cfg.Rules.Walkin, cfg.Rules.MinInterval.Duration = true, 0 // a file that leaves the central every choice
	for _, msgs := range [][]string{
		{everyField},
		{`{"hall":"泰山区政务服务中心"}`, `{"rules":{"walkin":true}}`, `{"rules":{"min_interval":"0s"}}`, `{"texts":{"thanks":"多谢"}}`,
			`{"texts":{"welcome":"请评价"}}`, `{"staff":{"id":"TA1","name":"甲"}}`, `{"staff":{"id":"TA2","name":""}}`},
	} {
		cfg.DataDir = t.TempDir()
		a := build(t, cfg, Parts{})
		for _, m := range msgs {
			if err := (downlink{a}).ApplyConfig(parseConfig(t, m)); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
		}
		live, liveView := a.Config(), a.pad.View()
		a.Close()
		b := build(t, cfg, Parts{})
		if restarted := b.Config(); !reflect.DeepEqual(live, restarted) {
			t.Errorf("%v: live %+v\nafter restart %+v", msgs, live, restarted)
		}
		if v := b.pad.View(); v.Walkin != liveView.Walkin || v.OnDuty != liveView.OnDuty {
			t.Errorf("%v: pad live %+v, after restart %+v", msgs, liveView, v)
		}
		b.Close()
	}
}

// Round trip for any sequence of messages the central may send, over any
// floor the file sets; and the floor holds: live or restarted, walk-in is
// on only when the file allows it, min_interval at least the file's.
func FuzzCentralConfigRoundTrip(f *testing.F) {
	f.Add([]byte(everyField), []byte(`{"rules":{"walkin":false}}`), true, int64(0))
	f.Add([]byte(everyField), []byte(`{"rules":{"min_interval":"0s"}}`), false, int64(3e9))
	f.Add([]byte(`{"texts":{"thanks":"多谢"}}`), []byte(`{"texts":{"paused":"暂停"}}`), false, int64(3e9))
	f.Add([]byte(`{"reasons":{"1":[{"code":"1","text":"甲"}],"2":[{"code":"2","text":"乙"}]}}`), []byte(`{"window":"3"}`), true, int64(1e9))
	base := config.Default()
	f.Fuzz(func(t *testing.T, m1, m2 []byte, walkin bool, minInterval int64) {
		file := base
		file.Rules.Walkin = walkin
		file.Rules.MinInterval.Duration = time.Duration(minInterval)
		if file.Validate() != nil {
			return
		}
		var acc protocol.Config
		live := file
		for _, m := range [][]byte{m1, m2} {
			c, err := protocol.ParseConfig(m)
			if err != nil || belowFloor(file, c) != "" {
				continue // refused: nothing changes (applyCentral)
			}
			next, err := accumulate(acc, c)
			if err != nil {
				t.Fatalf("a valid message does not accumulate: %s: %v", m, err)
			}
			merged, err := overlay(file, next)
			if err != nil {
				continue // refused: nothing changes, live or stored
			}
			acc, live = next, merged
		}
		// What a restart computes from what the store keeps.
		stored, err := protocol.ParseConfig(acc.Marshal())
		if err != nil {
			t.Fatalf("the stored config does not parse: %s: %v", acc.Marshal(), err)
		}
		restarted, err := overlay(file, stored)
		if err != nil {
			t.Fatalf("the stored config does not apply at restart: %v", err)
		}
		if !reflect.DeepEqual(live, restarted) {
			t.Fatalf("live %+v\nafter restart %+v", live, restarted)
		}
		for _, c := range []config.Config{live, restarted} {
			if c.Rules.Walkin && !file.Rules.Walkin || c.Rules.MinInterval.Duration < file.Rules.MinInterval.Duration {
				t.Fatalf("below the file's floor (walkin %v, min_interval %v): %+v", file.Rules.Walkin, file.Rules.MinInterval, c.Rules)
			}
		}
		// A stored config meets a stricter file at a restart: clamped, never below.
		stricter := file
		stricter.Rules.Walkin, stricter.Rules.MinInterval.Duration = false, 10*time.Minute
		if c, err := overlay(stricter, stored); err == nil && (c.Rules.Walkin || c.Rules.MinInterval.Duration != 10*time.Minute) {
			t.Fatalf("below a stricter file's floor: %+v", c.Rules)
		}
	})
}

// A config from the central cannot lower the floor the config file sets:
// walk-in on, or min_interval below the file's, is refused with the
// reason and changes nothing; raising it applies. A stored config that a
// file made stricter since would lower is clamped at the next start.
func TestCentralConfigCannotLowerFloor(t *testing.T) {
	cfg := testConfig(t) // walk-in off, min_interval 3s
	a := build(t, cfg, Parts{})
	for _, m := range []struct{ msg, want string }{
		{`{"id":"a","rules":{"walkin":true}}`, "walk-in off"},
		{`{"id":"b","rules":{"min_interval":"0s"}}`, "below the pad's config file's 3s"},
		{`{"id":"c","hall":"假大厅","staff":{"id":"TA9","name":"假"},"rules":{"walkin":true,"min_interval":"1s"}}`, "walk-in off"},
	} {
		err := (downlink{a}).ApplyConfig(parseConfig(t, m.msg))
		if !errors.Is(err, ErrBelowFloor) || !strings.Contains(err.Error(), m.want) {
			t.Errorf("%s: %v, want refused saying %q", m.msg, err, m.want)
		}
	}
	if got := a.Config(); got.Rules.Walkin || got.Rules.MinInterval.Duration != 3*time.Second || got.Hall != cfg.Hall {
		t.Fatalf("a refused config changed the pad: %+v", got)
	}
	if out, _ := a.pad.Press(5); out.Record != nil {
		t.Fatalf("a press with no session recorded: %+v", out)
	}
	if err := (downlink{a}).ApplyConfig(parseConfig(t, `{"id":"d","rules":{"walkin":false,"min_interval":"5s"}}`)); err != nil {
		t.Fatalf("raising the floor: %v", err)
	}
	if got := a.Config().Rules.MinInterval.Duration; got != 5*time.Second {
		t.Errorf("min_interval %v, want 5s", got)
	}
	a.Close()
	stricter := cfg
	stricter.Rules.MinInterval.Duration = 10 * time.Second
	if got := build(t, stricter, Parts{}).Config().Rules.MinInterval.Duration; got != 10*time.Second {
		t.Errorf("after the file was made stricter: min_interval %v, want the file's 10s", got)
	}
}
