package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"evalpad/device/printer"
	"evalpad/agent/screen"
	"evalpad/display"
	"evalpad/display/receipt"
	"evalpad/pad"
	"evalpad/agent/config"
)

func cmdRun(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("evalpad run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "TOML config file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{errors.New("run: --config FILE is required (see 'evalpad config --example' for every field)")}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if cfg.Receipt.Key == "" && cfg.Printer.URI != "" {
		return errors.New("run: config: receipt.key: required on a real pad with a printer: the central verifies receipt QR codes with it")
	}
	hw, err := openHardware(cfg, log)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer hw.close()
	if m := hw.missing(); len(m) > 0 {
		return fmt.Errorf("run: the config names no %s; a pad needs them (see 'evalpad config --example')", strings.Join(m, " and no "))
	}
	a, err := newAgent(cfg, firstOf(cfg.DataDir, "/var/lib/evalpad"), log)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer a.close()
	cfg = a.cfg // with what the central set earlier
	scr, err := newScreen(cfg, a.pad)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if hw.printer != nil {
		loc, _ := cfg.Location()
		a.api.Receipts = &receiptPrinter{cfg: a.config, key: []byte(cfg.Receipt.Key), loc: loc, pad: a.pad, printer: hw.printer,
			profile: receipt.Profile{Paper: cfg.Printer.Paper, QR: cfg.Printer.QR}}
		a.api.Printer = func() (any, []string) { st := hw.printer.Status(); return st, printerFaults(st) }
	}
	a.api.Photo = photoSetter(scr, log)
	a.checkGlyphs = func(c config.Config) error { return checkGlyphs(scr.Font(), c) }
	a.onConfig = append(a.onConfig, func(c config.Config) { scr.SetHall(c.Hall, c.Window, c.Texts) })

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	if hw.buttons != nil {
		wg.Go(func() {
			err := hw.buttons.Run(ctx, func(star int) {
				if _, err := a.pad.Press(star); err != nil {
					log.Warn("press", "star", star, "err", err)
				}
			})
			if err != nil && ctx.Err() == nil {
				log.Error("buttons stopped", "driver", hw.buttonsName, "err", err)
			}
		})
	}
	if hw.touch != nil {
		wg.Go(func() {
			err := hw.touch.Run(ctx, func(x, y int) {
				if _, _, err := scr.Touch(a.pad, x, y); err != nil {
					log.Info("touch", "x", x, "y", y, "err", err)
				}
			})
			if err != nil && ctx.Err() == nil {
				log.Error("touch stopped", "path", hw.touch.Path, "err", err)
			}
		})
	}
	wg.Go(func() { drivePanel(ctx, scr, hw.panel, log) })
	stopSync, err := startSync(ctx, a, (&syncFlags{}).withConfig(cfg.Sync, nil), log)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer stopSync()
	log.Info("evalpad run", "version", versionString(), "device", cfg.DeviceID, "buttons", hw.buttonsName, "panel", hw.panelName, "broker", cfg.Sync.Broker)
	return a.serve(ctx, cfg.API.Listen, stderr)
}

// loadFont loads the configured font, or searches the usual places.
func loadFont(cfg config.Config) (*display.Font, error) {
	var paths []string
	if cfg.Display.Font != "" {
		paths = []string{cfg.Display.Font}
	}
	return display.LoadFont(paths)
}

// buildScreen makes the pad's screen from the config and checks that the
// font draws every configured text (hall, window, staff, reasons) as v
// shows them: a missing glyph is an error at start, never a tofu box.
func buildScreen(cfg config.Config, font *display.Font, v pad.View) (*screen.Screen, error) {
	w, h, err := cfg.Display.Dimensions()
	if err != nil {
		return nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	scr, err := screen.New(font, display.Size{W: w, H: h}, screen.Static{Hall: cfg.Hall, Window: cfg.Window,
		ScanURL: windowScanURL(cfg), StarOrder: cfg.Display.StarOrder, Location: loc, Texts: cfg.Texts}, time.Now)
	if err != nil {
		return nil, err
	}
	if err := scr.Check(v); err != nil {
		return nil, err
	}
	if err := checkGlyphs(font, cfg); err != nil {
		return nil, err
	}
	return scr, nil
}

// checkGlyphs checks the texts of cfg that no screen of the start shows:
// the reasons and the replaced screen texts.
func checkGlyphs(font *display.Font, cfg config.Config) error {
	for _, level := range []int{1, 2} {
		if err := font.Check(codesText(cfg, level)...); err != nil {
			return fmt.Errorf("reasons: %w", err)
		}
	}
	for k, t := range cfg.Texts {
		if err := font.Check(t); err != nil {
			return fmt.Errorf("texts.%s: %w", k, err)
		}
	}
	return nil
}

// newScreen is the screen of a real pad, following p: a missing font is an
// error here, and so is a staff photo that does not decode.
func newScreen(cfg config.Config, p *pad.Pad) (*screen.Screen, error) {
	font, err := loadFont(cfg)
	if err != nil {
		return nil, err
	}
	scr, err := buildScreen(cfg, font, p.View())
	if err != nil {
		return nil, err
	}
	if cfg.Staff.Photo != "" && cfg.Staff.ID != "" {
		img, err := screen.DecodePhoto(cfg.Staff.Photo)
		if err != nil {
			return nil, fmt.Errorf("staff.photo: %w", err)
		}
		scr.SetPhoto(cfg.Staff.ID, img)
	}
	scr.Show(p.View())
	p.Subscribe(scr.Show)
	return scr, nil
}

// photoSetter shows the staff photo a session carries.
func photoSetter(scr *screen.Screen, log *slog.Logger) func(staffID, photo string) {
	return func(staffID, photo string) {
		img, err := screen.DecodePhoto(photo)
		if err != nil {
			log.Warn("session staff photo not shown", "staff", staffID, "err", err)
			return
		}
		scr.SetPhoto(staffID, img)
	}
}

// drivePanel sends a frame to the panel after every change of the screen,
// and once a minute for the idle screen's clock. It wakes for nothing else.
func drivePanel(ctx context.Context, scr *screen.Screen, p panel, log *slog.Logger) {
	changed := make(chan struct{}, 1)
	stop := scr.Watch(func(uint64, pad.View) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer stop()
	minute := time.NewTicker(time.Minute)
	defer minute.Stop()
	failing := false
	for {
		frame, _ := scr.Frame()
		if err := p.Show(frame); err != nil {
			if !failing {
				log.Error("panel", "err", err) // once, not every minute
			}
			failing = true
		} else {
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-minute.C:
		}
	}
}

// printerFaults are what the status lists of a printer's state: a printer
// fault shows on the technician's status and never holds up a rating.
func printerFaults(st printer.Status) []string {
	var out []string
	for _, f := range []struct {
		on   bool
		what string
	}{{!st.Online, "printer offline or not answering"}, {st.PaperOut, "printer: paper out"},
		{st.PaperNearEnd, "printer: paper near its end"}, {st.CoverOpen, "printer: cover open"},
		{st.Error, "printer: error"}} {
		if f.on {
			out = append(out, f.what)
		}
	}
	if st.LastError != "" && len(out) > 0 {
		out[len(out)-1] += " (" + st.LastError + ")"
	}
	return out
}
