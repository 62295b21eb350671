package gpiobuttons

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
	"periph.io/x/host/v3/gpioioctl"
	"periph.io/x/host/v3/sysfs"
)

// Open initialises periph's host drivers, resolves the pins named in c and
// returns Buttons on them. An error names the pin that is missing or cannot
// be configured. Close releases the lines.
func Open(c Config) (*Buttons, error) {
	if len(c.Pins) == 0 {
		return nil, fmt.Errorf("%w: no star pins", ErrConfig)
	}
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("gpiobuttons: periph host init: %w", err)
	}
	var owned []interface{ Close() }
	used := map[string]string{} // pin name → role
	resolve := func(role, name string) (gpio.PinIO, error) {
		if other, dup := used[name]; dup {
			return nil, fmt.Errorf("%w: pin %q is both %s and %s", ErrConfig, name, other, role)
		}
		used[name] = role
		p, err := lookup(name, gpioreg.ByName, gpioioctl.Chips)
		if err != nil {
			return nil, fmt.Errorf("%w %q (%s): %w", ErrPin, name, role, err)
		}
		if l, ok := p.(interface{ Close() }); ok {
			owned = append(owned, l)
		}
		return p, nil
	}
	b, err := open(c, resolve)
	if err != nil {
		for _, l := range owned {
			l.Close()
		}
		return nil, err
	}
	b.owned = owned
	return b, nil
}

// open resolves c's pins in star order, then LED and buzzer, and builds the
// Buttons.
func open(c Config, resolve func(role, name string) (gpio.PinIO, error)) (*Buttons, error) {
	pins := make(map[int]gpio.PinIO, len(c.Pins))
	for _, star := range slices.Sorted(maps.Keys(c.Pins)) {
		p, err := resolve(fmt.Sprintf("star %d", star), c.Pins[star])
		if err != nil {
			return nil, err
		}
		pins[star] = p
	}
	var led, buzzer gpio.PinOut
	if c.LED != "" {
		p, err := resolve("LED", c.LED)
		if err != nil {
			return nil, err
		}
		led = p
	}
	if c.Buzzer != "" {
		p, err := resolve("buzzer", c.Buzzer)
		if err != nil {
			return nil, err
		}
		buzzer = p
	}
	return New(c, pins, led, buzzer)
}

// lookup resolves a pin name: "chip:line" through the GPIO character device
// chips, anything else through the registry (byName). A registry pin backed
// by sysfs is replaced by the character-device line of the same name, or
// refused: sysfs edge detection does not work on recent kernels.
func lookup(name string, byName func(string) gpio.PinIO, chips []*gpioioctl.GPIOChip) (gpio.PinIO, error) {
	if chip, line, ok := strings.Cut(name, ":"); ok {
		for _, c := range chips {
			if c.Name() != chip && c.Label() != chip {
				continue
			}
			if n, err := strconv.Atoi(line); err == nil {
				if n >= 0 && n < c.LineCount() {
					return c.ByNumber(n), nil
				}
				return nil, fmt.Errorf("line %d out of range 0..%d on %s", n, c.LineCount()-1, chip)
			}
			if l := c.ByName(line); l != nil {
				return l, nil
			}
			return nil, fmt.Errorf("no line %q on %s", line, chip)
		}
		return nil, fmt.Errorf("no GPIO chip %q (is /dev/%s present and readable?)", chip, chip)
	}
	p := byName(name)
	if p == nil {
		return nil, fmt.Errorf("not found (no such name in the GPIO registry; try chip:line, e.g. gpiochip0:17)")
	}
	if _, isSysfs := p.(*sysfs.Pin); isSysfs {
		for _, c := range chips {
			if l := c.ByName(name); l != nil {
				return l, nil
			}
		}
		return nil, fmt.Errorf("only available through sysfs, which has no working edge detection; name it chip:line")
	}
	return p, nil
}
