package rating

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaskPersonal replaces what looks like applicant personal data inside free
// text with ＊: mainland mobile numbers (11 digits starting 1[3-9], also
// with a +86 / 86 prefix), resident ID numbers (18 characters with a valid
// check character, or the old 15 digits), where they stand alone rather
// than inside a longer run of digits (a 20-digit 办件编号 is no ID). Digits
// may be full-width (１３８…) and grouped with spaces or hyphens
// (138 1234 5678, 138-1234-5678).
func MaskPersonal(s string) string {
	if !strings.ContainsFunc(s, isAnyDigit) {
		return s
	}
	var b strings.Builder
	changed := false
	rest := s
	for rest != "" {
		i := strings.IndexFunc(rest, isAnyDigit)
		if i < 0 {
			b.WriteString(rest)
			break
		}
		// A '+' just before the digits belongs to the number (+86).
		if i > 0 && (rest[i-1] == '+') {
			i--
		} else if r, n := utf8.DecodeLastRuneInString(rest[:i]); r == '＋' {
			i -= n
		}
		b.WriteString(rest[:i])
		parts, end := digitGroups(rest[i:])
		for k := 0; k < len(parts); {
			m := matchPersonal(parts[k:])
			if m == 0 {
				b.WriteString(parts[k].text)
				if k+1 < len(parts) {
					b.WriteString(parts[k].sep)
				}
				k++
				continue
			}
			b.WriteString("＊")
			changed = true
			k += m
			if k < len(parts) {
				b.WriteString(parts[k-1].sep)
			}
		}
		rest = rest[i+end:]
	}
	if !changed {
		return s
	}
	return b.String()
}

// CheckNotPersonal refuses an identifier that is, or holds standing alone,
// a mobile phone or resident ID number as MaskPersonal finds them (so also
// with +86, spaces, hyphens or full-width digits). The error wraps
// ErrPersonalData and does not repeat v; callers prefix the field's name.
func CheckNotPersonal(v string) error {
	if MaskPersonal(v) != v {
		return ErrPersonalData
	}
	return nil
}

// group is a run of digits (with a leading + or a trailing X) in the text,
// with the separator that follows it before the next group.
type group struct {
	text   string // as written
	digits string // ASCII digits (and X), no '+'
	sep    string
}

// digitGroups splits the start of s into groups separated by one space,
// hyphen or no-break space each, and returns where the number ends.
func digitGroups(s string) ([]group, int) {
	var out []group
	pos := 0
	for {
		start := pos
		var d strings.Builder
		for pos < len(s) {
			r, n := utf8.DecodeRuneInString(s[pos:])
			switch {
			case (r == '+' || r == '＋') && pos == start:
			case isAnyDigit(r):
				d.WriteByte(asciiDigit(r))
			case (r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ') && d.Len() > 0:
				d.WriteByte('X')
				pos += n
				goto done
			default:
				goto done
			}
			pos += n
		}
	done:
		out = append(out, group{text: s[start:pos], digits: d.String()})
		// Another group follows only after a single separator then a digit.
		r, n := utf8.DecodeRuneInString(s[pos:])
		if r != ' ' && r != '-' && r != '\u00a0' {
			return out, pos
		}
		if next, _ := utf8.DecodeRuneInString(s[pos+n:]); !isAnyDigit(next) {
			return out, pos
		}
		out[len(out)-1].sep = s[pos : pos+n]
		pos += n
	}
}

// matchPersonal reports how many groups from the first make up one phone or
// ID number (0 if none): the longest such prefix, so "138 1234 5678" is one.
func matchPersonal(gs []group) int {
	digits := ""
	best := 0
	for k, g := range gs {
		if g.digits == "" || strings.Contains(digits, "X") {
			break // an X only ends a number
		}
		digits += g.digits
		if len(digits) > 18 {
			break
		}
		if isPhone(digits) || isResidentID(digits) {
			best = k + 1
		}
	}
	return best
}

func isPhone(d string) bool {
	if strings.HasPrefix(d, "86") && len(d) == 13 {
		d = d[2:]
	}
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && !strings.Contains(d, "X")
}

func isResidentID(d string) bool {
	switch len(d) {
	case 18:
		return plausibleID(d)
	case 15: // the first-generation card: YYMMDD birth date, no check character
		m, day := d[8:10], d[10:12]
		return !strings.Contains(d, "X") && m >= "01" && m <= "12" && day >= "01" && day <= "31"
	}
	return false
}

func isAnyDigit(r rune) bool { return (r >= '0' && r <= '9') || (r >= '０' && r <= '９') }

func asciiDigit(r rune) byte {
	if r >= '０' && r <= '９' {
		return byte('0' + r - '０')
	}
	return byte(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// plausibleID reports whether an 18-character run is a resident ID number:
// dated like one (birth year 19xx/20xx, month 01-12, day 01-31) and with a
// valid GB 11643 check character.
func plausibleID(id string) bool {
	for i := 0; i < 17; i++ {
		if !isDigit(id[i]) {
			return false
		}
	}
	y, m, d := id[6:8], id[10:12], id[12:14]
	if !((y == "19" || y == "20") && m >= "01" && m <= "12" && d >= "01" && d <= "31") {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(id[i]-'0') * w
	}
	return id[17] == "10X98765432"[sum%11]
}

// maskValues replaces every occurrence in s of the given values (personal
// data the payload carried in fields the pad drops) with ＊, longest first.
func maskValues(s string, values []string) string {
	for _, v := range values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "＊")
		}
	}
	return s
}

// looksLikeName reports whether v could be a person's name: 2 to 4 Han
// characters (with an optional middle dot for minority names).
func looksLikeName(v string) bool {
	n := 0
	for _, r := range v {
		switch {
		case unicode.Is(unicode.Han, r):
			n++
		case r == '·' || r == '•':
		default:
			return false
		}
	}
	return n >= 2 && n <= 6
}
