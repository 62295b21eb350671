package gpiobuttons

import (
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/host/v3/sysfs"
)

func TestOpenMissingPin(t *testing.T) {
	// Registered pins get names no board has; gpioreg is process-wide.
	a := &gpiotest.Pin{N: "EVALPAD_TEST_A", EdgesChan: make(chan gpio.Level, 1)}
	led := &gpiotest.Pin{N: "EVALPAD_TEST_LED"}
	for _, p := range []gpio.PinIO{a, led} {
		if err := gpioreg.Register(p); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = gpioreg.Unregister(p.Name()) })
	}

	b, err := Open(Config{Pins: map[int]string{1: "EVALPAD_TEST_A"}, LED: "EVALPAD_TEST_LED"})
	if err != nil {
		t.Fatalf("Open with registered pins: %v", err)
	}
	if a.Pull() != gpio.PullUp {
		t.Fatalf("pull = %s, want PullUp", a.Pull())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"star", Config{Pins: map[int]string{1: "EVALPAD_TEST_A", 2: "GPIO_NOPE"}}, `"GPIO_NOPE" (star 2)`},
		{"led", Config{Pins: map[int]string{1: "EVALPAD_TEST_A"}, LED: "LED_NOPE"}, `"LED_NOPE" (LED)`},
		{"buzzer", Config{Pins: map[int]string{1: "EVALPAD_TEST_A"}, Buzzer: "BZ_NOPE"}, `"BZ_NOPE" (buzzer)`},
		{"chip", Config{Pins: map[int]string{3: "gpiochip9:17"}}, `no GPIO chip "gpiochip9"`},
	}
	if _, err := Open(Config{Pins: map[int]string{1: "EVALPAD_TEST_A"}, LED: "EVALPAD_TEST_A"}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `"EVALPAD_TEST_A" is both star 1 and LED`) {
		t.Fatalf("Open with a pin used twice = %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.c)
			if !errors.Is(err, ErrPin) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open = %v, want ErrPin containing %s", err, tt.want)
			}
		})
	}
}

func TestLookupRefusesSysfs(t *testing.T) {
	byName := func(string) gpio.PinIO { return &sysfs.Pin{} }
	_, err := lookup("GPIO17", byName, nil)
	if err == nil || !strings.Contains(err.Error(), "sysfs") {
		t.Fatalf("lookup = %v, want refusal naming sysfs", err)
	}
}
