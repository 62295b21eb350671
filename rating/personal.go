package rating

import "strings"

// MaskPersonal replaces what looks like applicant personal data inside free
// text with ＊: mainland mobile numbers (11 digits starting 1[3-9]) and
// resident ID numbers (17 digits then a digit or X), where they stand alone
// rather than inside a longer run of digits (a 20-digit 办件编号 is no ID).
func MaskPersonal(s string) string {
	var b strings.Builder
	changed := false
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		run := j - i
		end := j
		if run == 17 && j < len(s) && (s[j] == 'X' || s[j] == 'x') {
			end = j + 1
			run = 18
		}
		if (run == 11 && s[i] == '1' && s[i+1] >= '3') || (run == 18 && plausibleID(s[i:end])) {
			b.WriteString("＊")
			changed = true
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	if !changed {
		return s
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// plausibleID reports whether an 18-character run is a resident ID number:
// dated like one (birth year 19xx/20xx, month 01-12, day 01-31) and with a
// valid GB 11643 check character.
func plausibleID(id string) bool {
	y, m, d := id[6:8], id[10:12], id[12:14]
	if !((y == "19" || y == "20") && m >= "01" && m <= "12" && d >= "01" && d <= "31") {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(id[i]-'0') * w
	}
	check := "10X98765432"[sum%11]
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	return last == check
}
