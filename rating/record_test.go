package rating_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"evalpad/rating"
)

func TestFormatTime(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{time.Time{}, sh, ""},
		{time.Date(2026, 11, 25, 2, 3, 12, 123456789, time.UTC), sh, "2026-11-25T10:03:12.123+08:00"},
		{time.Date(2026, 11, 25, 10, 3, 12, 0, sh), sh, "2026-11-25T10:03:12.000+08:00"},
		{time.Date(2026, 11, 25, 10, 3, 12, 999999999, sh), sh, "2026-11-25T10:03:12.999+08:00"},
		{time.Date(2026, 11, 25, 10, 3, 12, 5e6, sh), time.UTC, "2026-11-25T02:03:12.005Z"},
	} {
		if got := rating.FormatTime(tc.t, tc.loc); got != tc.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestNewRecord(t *testing.T) {
	origin := rating.Origin{DeviceID: "TA-ZWFW-W12", AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "12", Channel: "4"}
	onDuty := rating.Staff{ID: "TA0999", Name: "值班员", Photo: "data:image/png;base64,DUTY"}
	theme := &rating.Session{ID: "S-1", Mode: rating.ModeTheme, Staff: rating.Staff{ID: "TA0123", Name: "王丽", Photo: "data:image/png;base64,PHOTO"},
		Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "企业设立登记"}, {ProjectNo: pno2, TaskCode: "T2", TaskName: "公章刻制"}}}
	const id, opened, at = "01900000-0000-7000-8000-000000000000", "2026-11-25T10:02:40.000+08:00", "2026-11-25T10:03:12.123+08:00"
	base := rating.Record{V: 1, ID: id, Kind: rating.KindRating, DeviceID: "TA-ZWFW-W12", AreaCode: "370900",
		Hall: "泰安市政务服务中心", Window: "12", Channel: "4", SessionID: "S-1", Mode: rating.ModeTheme,
		Cases: theme.Cases, Staff: rating.RecordStaff{ID: "TA0123", Name: "王丽"},
		Reasons: []string{}, Flags: []string{}, OpenedAt: opened, At: at}
	rec := func(f func(r *rating.Record)) rating.Record {
		r := base
		f(&r)
		return r
	}
	for _, tc := range []struct {
		name  string
		s     *rating.Session
		cases []rating.Case
		v     rating.Verdict
		open  string
		want  rating.Record
	}{
		{"5★ overall", theme, theme.Cases, rating.Verdict{Stars: 5}, opened,
			rec(func(r *rating.Record) { r.Stars, r.Good = 5, true })},
		{"3★ is good", theme, theme.Cases, rating.Verdict{Stars: 3}, opened,
			rec(func(r *rating.Record) { r.Stars, r.Good = 3, true })},
		{"好评 drops reasons", theme, theme.Cases, rating.Verdict{Stars: 4, Reasons: []string{"213"}}, opened,
			rec(func(r *rating.Record) { r.Stars, r.Good = 4, true })},
		{"2★ with reasons", theme, theme.Cases, rating.Verdict{Stars: 2, Reasons: []string{"213", "214"}}, opened,
			rec(func(r *rating.Record) { r.Stars, r.Reasons = 2, []string{"213", "214"} })},
		{"1★ without reasons", theme, theme.Cases, rating.Verdict{Stars: 1, Flags: []string{rating.FlagReasonsTimeout}}, opened,
			rec(func(r *rating.Record) { r.Stars, r.Flags = 1, []string{"reasons_timeout"} })},
		{"one item of a theme", theme, theme.Cases[1:], rating.Verdict{Stars: 5, Target: pno2}, opened,
			rec(func(r *rating.Record) { r.Stars, r.Good, r.Target, r.Cases = 5, true, pno2, theme.Cases[1:] })},
		{"unrated", theme, theme.Cases, rating.Verdict{Flags: []string{rating.FlagSessionTimeout}}, opened,
			rec(func(r *rating.Record) { r.Kind, r.Flags = rating.KindUnrated, []string{"session_timeout"} })},
		{"unrated ignores reasons", theme, theme.Cases, rating.Verdict{Reasons: []string{"213"}, Flags: []string{rating.FlagReplaced}}, opened,
			rec(func(r *rating.Record) { r.Kind, r.Flags = rating.KindUnrated, []string{"replaced"} })},
		{"walk-in", nil, nil, rating.Verdict{Stars: 4}, "",
			rec(func(r *rating.Record) {
				r.SessionID, r.Mode, r.Cases, r.OpenedAt = "", rating.ModeSingle, []rating.Case{}, ""
				r.Staff = rating.RecordStaff{ID: "TA0999", Name: "值班员"}
				r.Stars, r.Good, r.Flags = 4, true, []string{"walkin"}
			})},
		{"walk-in 差评 recovered", nil, []rating.Case{{ProjectNo: pno1, TaskCode: "", TaskName: "x"}}, rating.Verdict{Stars: 2, Reasons: []string{"207"}, Flags: []string{rating.FlagRecovered}}, "",
			rec(func(r *rating.Record) {
				r.SessionID, r.Mode, r.Cases, r.OpenedAt = "", rating.ModeSingle, []rating.Case{}, ""
				r.Staff = rating.RecordStaff{ID: "TA0999", Name: "值班员"}
				r.Stars, r.Reasons, r.Flags = 2, []string{"207"}, []string{"walkin", "recovered"}
			})},
		{"session with no cases given", theme, nil, rating.Verdict{Stars: 5}, opened,
			rec(func(r *rating.Record) { r.Stars, r.Good, r.Cases = 5, true, []rating.Case{} })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rating.NewRecord(id, origin, tc.s, onDuty, tc.cases, tc.v, tc.open, at)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("NewRecord =\n%+v\nwant\n%+v", got, tc.want)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			for _, w := range []string{`"v":1`, `"seq":0`, `"cases":[`, `"reasons":[`, `"flags":[`, `"target":"`, `"sig":""`} {
				if !strings.Contains(s, w) {
					t.Errorf("record JSON lacks %s: %s", w, s)
				}
			}
			if strings.Contains(s, "null") || strings.Contains(s, "photo") || strings.Contains(s, "PHOTO") || strings.Contains(s, "DUTY") {
				t.Errorf("record JSON has a null or a photo: %s", s)
			}
			var back rating.Record
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("JSON round trip = %+v, %v", back, err)
			}
		})
	}

	// The record owns its slices: later changes to the inputs do not reach it.
	cs := []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "企业设立登记"}}
	v := rating.Verdict{Stars: 2, Reasons: []string{"213"}, Flags: []string{"x"}}
	r := rating.NewRecord(id, origin, theme, onDuty, cs, v, opened, at)
	cs[0].TaskName, v.Reasons[0], v.Flags[0] = "changed", "999", "y"
	if r.Cases[0].TaskName != "企业设立登记" || r.Reasons[0] != "213" || r.Flags[0] != "x" {
		t.Errorf("record shares its slices with the caller: %+v", r)
	}
}
