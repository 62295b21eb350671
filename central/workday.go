package central

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Calendar tells working days (工作日): Monday to Friday, except public
// holidays, plus the weekend days made working days (调休). The holidays
// and make-up days come from lunar-go's HolidayUtil, which carries the State
// Council's yearly arrangements; Overrides win over it, for an arrangement
// published after this build.
type Calendar struct {
	// Overrides maps a day (YYYY-MM-DD) to whether it is a working day.
	Overrides map[string]bool
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
// blank lines and # comments ignored. Errors name the line.
func ParseOverrides(data []byte) (map[string]bool, error) {
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
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
		switch f[1] {
		case "work":
			out[f[0]] = true
		case "off":
			out[f[0]] = false
		default:
			return nil, fmt.Errorf("central: holidays line %d: %q is not work or off", n, f[1])
		}
	}
	return out, sc.Err()
}

// LoadOverrides reads an override file (see ParseOverrides).
func LoadOverrides(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("central: holidays: %w", err)
	}
	m, err := ParseOverrides(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
