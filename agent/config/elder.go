package config

import (
	"fmt"

	"evalpad/display"
)

// checkElder refuses display.elder = true where elder mode cannot be
// drawn (display.ElderSupport): a panel too small for the five levels'
// words at 18 dp across, or for the rate screen's 30 dp title and five
// 18 dp level rows down, or a touch pad whose panel cannot hold five
// 60 dp targets across and four down (the small ST7789 modules, which
// ship without touch: buttons_only = true there; 240×240 included).
func checkElder(s display.Size, dpi float64, buttonsOnly bool) error {
	fits, touch := display.ElderSupport(s, dpi)
	if dpi <= 0 {
		dpi = display.PanelDPI(s)
	}
	switch {
	case !fits:
		return fmt.Errorf("elder mode (适老化) does not fit a %d×%d panel at %.0f dpi: its five levels' words at 18 dp do not go across, or its 30 dp title and five 18 dp level rows down; set display.elder = false", s.W, s.H, dpi)
	case !touch && !buttonsOnly:
		return fmt.Errorf("elder mode (适老化) on a touch pad needs five 60 dp targets across and four down, which a %d×%d panel at %.0f dpi does not hold: set display.buttons_only = true (no touch) or display.elder = false", s.W, s.H, dpi)
	}
	return nil
}
