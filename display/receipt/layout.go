package receipt

import "strings"

// width is the number of print columns s takes on a GB18030 printer in its
// standard font: an ASCII character is one half-width column (12 dots of
// Font A), every other character is printed from the printer's 24×24 Chinese
// font and takes two. This is the printer's rule, not Unicode's East Asian
// Width: "·" or "—" are ambiguous-width in Unicode but double-byte in
// GB18030, so the printer draws them full width.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	if r < 0x80 {
		return 1
	}
	return 2
}

// wrap breaks s into lines of at most cols columns (see width). Chinese
// text breaks between any two characters; a run of ASCII letters and digits
// (a word, a number) moves to the next line whole when it fits there; a
// closing punctuation mark that would start a line pulls the character
// before it along. Lines never exceed cols.
func wrap(s string, cols int) []string {
	if cols < 2 {
		cols = 2
	}
	var lines []string
	rs := []rune(s)
	for len(rs) > 0 {
		w, cut := 0, 0
		for cut < len(rs) && w+runeWidth(rs[cut]) <= cols {
			w += runeWidth(rs[cut])
			cut++
		}
		if cut < len(rs) {
			// Keep an ASCII word whole if it starts on this line and fits
			// on the next.
			if isWord(rs[cut]) && cut > 0 && isWord(rs[cut-1]) {
				start := cut
				for start > 0 && isWord(rs[start-1]) {
					start--
				}
				end := cut
				for end < len(rs) && isWord(rs[end]) {
					end++
				}
				if start > 0 && end-start <= cols {
					cut = start
				}
			}
			// Do not start a line with closing punctuation.
			if isCloser(rs[cut]) && cut > 1 {
				cut--
			}
		}
		lines = append(lines, strings.TrimRight(string(rs[:cut]), " "))
		rs = rs[cut:]
		for len(rs) > 0 && rs[0] == ' ' {
			rs = rs[1:]
		}
	}
	return lines
}

func isWord(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.'
}

func isCloser(r rune) bool {
	return strings.ContainsRune("，。、；：？！）】》」』”’,.;:?!)]", r)
}
