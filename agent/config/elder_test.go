package config_test

import (
	"strings"
	"testing"

	"evalpad/agent/config"
)

// display.elder = true is refused where elder mode cannot be drawn: on a
// touch pad whose panel cannot hold five 60 dp targets across (the small
// ST7789 modules: buttons only there), and on a panel where the levels'
// words at 18 dp do not go across at all. The error says what to set.
func TestElderNeedsRoom(t *testing.T) {
	for _, tc := range []struct {
		display string
		want    string // "" accepted; else in the display.elder error
	}{
		{"size = \"1024x600\"", ""},
		{"size = \"800x480\"", ""},
		{"size = \"480x320\"", ""},
		{"size = \"320x240\"", ""},
		{"size = \"240x320\"\nbuttons_only = true", ""},
		{"size = \"240x320\"", "set display.buttons_only = true"},
		{"size = \"480x320\"\ndpi = 400", "a 480×320 panel at 400 dpi does not hold"},
		{"size = \"240x240\"\nbuttons_only = true", ""},
		{"size = \"240x240\"", "a 240×240 panel at 261 dpi does not hold"},
		{"size = \"240x240\"\nbuttons_only = true\ndpi = 400", "does not fit a 240×240 panel at 400 dpi"},
		{"size = \"170x320\"\nbuttons_only = true", ""},
		{"size = \"170x320\"", "a 170×320 panel at 191 dpi does not hold"},
		{"size = \"135x240\"", "does not fit a 135×240 panel"},
	} {
		_, err := config.Parse([]byte("[display]\nelder = true\n" + tc.display + "\n"))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.display, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), "config: display.elder: ") || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want a display.elder error with %q", tc.display, err, tc.want)
		}
		// Without elder mode every one of these is a valid display.
		if _, err := config.Parse([]byte("[display]\n" + tc.display + "\n")); err != nil {
			t.Errorf("%q without elder: %v", tc.display, err)
		}
	}
}
