package central

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// CalendarHealth is what GET /api/v1/health says of the calendar: the
// source of this year's and next year's arrangement (the time rule reaches
// into next year from mid-December), and status "calendar_missing" when
// one of them is not known — then sessions whose deadlines fall in it get
// no default 4★ until an override file gives the arrangement.
type CalendarHealth struct {
	Status string            `json:"status"` // "ok" or StatusCalendarMissing
	Years  map[string]string `json:"years"`  // year → Source
}

// Health reports on the years of now and the year after.
func (c *Calendar) Health(now time.Time) CalendarHealth {
	h := CalendarHealth{Status: "ok", Years: map[string]string{}}
	for _, y := range []int{now.Year(), now.Year() + 1} {
		src := c.Source(y)
		h.Years[strconv.Itoa(y)] = src
		if src == SourceMissing {
			h.Status = StatusCalendarMissing
		}
	}
	return h
}

// withCalendar adds "calendar": cal.Health to the health object h.
func withCalendar(h any, cal *Calendar, now func() time.Time) any {
	if now == nil {
		now = time.Now
	}
	m := map[string]json.RawMessage{}
	if b, err := json.Marshal(h); err == nil {
		json.Unmarshal(b, &m) // a JSON object, or nothing kept of it
	}
	m["calendar"], _ = json.Marshal(cal.Health(now()))
	return m
}

// CalendarDay is a day that is not what its weekday says: a holiday
// (Work false) or a make-up working day (调休, Work true).
type CalendarDay struct {
	Day  string `json:"day"` // YYYY-MM-DD
	Work bool   `json:"work"`
	Name string `json:"name,omitempty"` // the holiday's name, or the override line's comment
}

// YearArrangement is what the calendar knows of a year.
type YearArrangement struct {
	Year   int           `json:"year"`
	Source string        `json:"source"`
	Days   []CalendarDay `json:"days"` // in order; an override replaces lunar-go's day
}

// Arrangement returns what the calendar knows of year; names are those of
// lunar-go and, for override days, the comments of the override file
// (notes: day → comment).
func (c *Calendar) Arrangement(year int, notes map[string]string) YearArrangement {
	a := YearArrangement{Year: year, Source: c.Source(year), Days: []CalendarDay{}}
	byDay := map[string]CalendarDay{}
	l := HolidayUtil.GetHolidaysByYear(year)
	for e := l.Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		byDay[h.GetDay()] = CalendarDay{Day: h.GetDay(), Work: h.IsWork(), Name: h.GetName()}
	}
	prefix := fmt.Sprintf("%04d-", year)
	for day, work := range c.Overrides {
		if strings.HasPrefix(day, prefix) {
			byDay[day] = CalendarDay{Day: day, Work: work, Name: notes[day]}
		}
	}
	for _, d := range byDay {
		a.Days = append(a.Days, d)
	}
	slices.SortFunc(a.Days, func(x, y CalendarDay) int { return strings.Compare(x.Day, y.Day) })
	return a
}

// HolidaysCommand is `evalhub holidays check YEAR [--holidays FILE]`: it
// writes to out where YEAR's arrangement comes from (override, lunar-go or
// missing) and its holidays and 调休 days, and fails when the year is
// missing, so a script can check before the year begins.
func HolidaysCommand(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("holidays: usage: evalhub holidays check YEAR [--holidays FILE]")
	}
	fs := flag.NewFlagSet("holidays check", flag.ContinueOnError)
	fs.SetOutput(out)
	file := fs.String("holidays", "", "override file of working days, as evalhub --holidays reads it")
	var year int
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		y, err := strconv.Atoi(rest[0])
		if err != nil || y < 1900 || y > 2199 {
			return fmt.Errorf("holidays check: %q is not a year", rest[0])
		}
		year, rest = y, rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if year == 0 || fs.NArg() > 0 {
		return errors.New("holidays: usage: evalhub holidays check YEAR [--holidays FILE]")
	}
	cal := &Calendar{}
	notes := map[string]string{}
	if *file != "" {
		days, err := loadOverrideDays(*file)
		if err != nil {
			return err
		}
		cal.Overrides = overrideMap(days)
		for _, d := range days {
			notes[d.Day] = d.Name
		}
	}
	a := cal.Arrangement(year, notes)
	fmt.Fprintf(out, "%d: %s\n", year, a.Source)
	for _, d := range a.Days {
		what := "off  (holiday)"
		if d.Work {
			what = "work (调休)"
		}
		t, _ := time.Parse(time.DateOnly, d.Day)
		fmt.Fprintf(out, "%s %s %s  %s\n", d.Day, t.Weekday().String()[:3], what, d.Name)
	}
	if a.Source == SourceMissing {
		return fmt.Errorf("holidays: %d is known neither to lunar-go nor to an override file: no default 4★ is given for sessions whose deadlines fall in it (status %s) until an override file (--holidays) has its arrangement", year, StatusCalendarMissing)
	}
	return nil
}
