package central

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Calendar tells working days (工作日): Monday to Friday, except public
// holidays, plus the weekend days made working days (调休). The holidays
// and make-up days come from lunar-go's HolidayUtil, which carries the State
// Council's yearly arrangements; Overrides win over it, for an arrangement
// published after this build.
//
// A year neither lunar-go nor the overrides know (Source "missing") has
// no arrangement here: weekdays are shown as working days, but the time
// rule gives no default 4★ on them (StatusCalendarMissing) — a default
// placed by guess would land days early over 春节.
type Calendar struct {
	// Overrides maps a day (YYYY-MM-DD) to whether it is a working day.
	Overrides map[string]bool
}

// Where a year's arrangement comes from (Source).
const (
	SourceOverride = "override" // the override file has days of that year
	SourceLunarGo  = "lunar-go" // the built-in arrangement
	SourceMissing  = "missing"  // neither: the year is not known
)

// Source says where the arrangement of year comes from.
func (c *Calendar) Source(year int) string {
	prefix := fmt.Sprintf("%04d-", year)
	for day := range c.Overrides {
		if strings.HasPrefix(day, prefix) {
			return SourceOverride
		}
	}
	if lunarYears()[year] {
		return SourceLunarGo
	}
	return SourceMissing
}

// lunarYears are the years lunar-go has an arrangement for: asked once
// (lunar-go searches its data, some 60 µs a year; the time rule asks for
// every unrated session).
var lunarYears = sync.OnceValue(func() map[int]bool {
	out := map[int]bool{}
	for y := 1990; y <= 2199; y++ {
		if HolidayUtil.GetHolidaysByYear(y).Len() > 0 {
			out[y] = true
		}
	}
	return out
})

// Missing returns the years from from's to to's (inclusive) that the
// calendar does not know.
func (c *Calendar) Missing(from, to time.Time) []int {
	var out []int
	for y := from.Year(); y <= to.Year(); y++ {
		if c.Source(y) == SourceMissing {
			out = append(out, y)
		}
	}
	return out
}

// IsWorkday reports whether the date of d (its year, month and day, in
// whatever zone d is) is a working day.
func (c *Calendar) IsWorkday(d time.Time) bool {
	day := d.Format(time.DateOnly)
	if w, ok := c.Overrides[day]; ok {
		return w
	}
	if h := HolidayUtil.GetHoliday(day); h != nil {
		return h.IsWork() // a holiday, or a make-up working day
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkdays returns the date (midnight in d's zone) of the nth working
// day after d's date; n ≥ 1.
func (c *Calendar) AddWorkdays(d time.Time, n int) time.Time {
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, d.Location())
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkday(day) {
			n--
		}
	}
	return day
}

// ParseOverrides reads an override file: one day a line,
//
//	2027-02-06 work   # 春节调休
//	2027-02-11 off    # 春节
//
// blank lines and # comments ignored. Errors name the line. A year with
// at least one day in the file is known from the file (Source override):
// give every holiday and 调休 day of a year the file covers.
func ParseOverrides(data []byte) (map[string]bool, error) {
	days, err := parseOverrideDays(data)
	if err != nil {
		return nil, err
	}
	return overrideMap(days), nil
}

func overrideMap(days []CalendarDay) map[string]bool {
	out := make(map[string]bool, len(days))
	for _, d := range days {
		out[d.Day] = d.Work
	}
	return out
}

// parseOverrideDays reads an override file's days, each with its line's
// comment as its name.
func parseOverrideDays(data []byte) ([]CalendarDay, error) {
	var out []CalendarDay
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line, note, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("central: holidays line %d: want \"YYYY-MM-DD work|off\", got %q", n, strings.TrimSpace(line))
		}
		if _, err := time.Parse(time.DateOnly, f[0]); err != nil {
			return nil, fmt.Errorf("central: holidays line %d: %q is not a day YYYY-MM-DD", n, f[0])
		}
		d := CalendarDay{Day: f[0], Name: strings.TrimSpace(note)}
		switch f[1] {
		case "work":
			d.Work = true
		case "off":
		default:
			return nil, fmt.Errorf("central: holidays line %d: %q is not work or off", n, f[1])
		}
		out = append(out, d)
	}
	return out, sc.Err()
}

// LoadOverrides reads an override file (see ParseOverrides).
func LoadOverrides(path string) (map[string]bool, error) {
	days, err := loadOverrideDays(path)
	if err != nil {
		return nil, err
	}
	return overrideMap(days), nil
}

// loadOverrideDays reads an override file's days with their names.
func loadOverrideDays(path string) ([]CalendarDay, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("central: holidays: %w", err)
	}
	days, err := parseOverrideDays(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return days, nil
}
