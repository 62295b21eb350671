package rating

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckText is the one check of the characters of a text field that crossed
// a trust boundary (the LAN API, MQTT, the config file, a record at the
// central): valid UTF-8, and no character that is invisible or changes how
// the text around it is shown —
//
//   - control characters (Cc: C0, DEL, C1), line and paragraph separators
//     (U+2028, U+2029);
//   - format characters (Cf): bidi embeddings, overrides and isolates
//     (U+202A–202E, U+2066–2069), marks (U+200E, U+200F, U+061C), zero-width
//     characters (U+200B–200D, U+2060, U+FEFF), the soft hyphen (U+00AD),
//     tag characters (U+E0001–E007F) and the rest of Cf.
//
// A right-to-left override in a task name would show the citizen and the
// central's reader another text than the one stored; a zero-width space
// inside a phone number hides it from MaskPersonal. The error says what was
// found and where, never the text; callers prefix the field's name.
func CheckText(v string) error { return checkChars(v, false) }

// CheckTextLines is CheckText for a text that may span lines: '\n' is
// allowed (a message the central shows on the screen).
func CheckTextLines(v string) error { return checkChars(v, true) }

func checkChars(v string, lines bool) error {
	if !utf8.ValidString(v) {
		return errors.New("not valid UTF-8")
	}
	i := 0
	for _, r := range v {
		i++
		var what string
		switch {
		case r == '\n' && lines:
			continue
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			what = "a control character"
		case unicode.Is(unicode.Cf, r):
			what = "an invisible format character"
		default:
			continue
		}
		return fmt.Errorf("has %s (U+%04X) at character %d", what, r, i)
	}
	return nil
}
