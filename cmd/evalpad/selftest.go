package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"evalpad/agent/screen"
	"evalpad/display/receipt"
	"evalpad/pad"
	"evalpad/agent/config"
	"evalpad/rating"
	"evalpad/store"
)

// Part is one line of the selftest report.
type Part struct {
	Part   string `json:"part"`
	Result string `json:"result"` // pass, fail, skip
	Detail string `json:"detail"`
}

// Report is the selftest's result (text, or JSON with --json).
type Report struct {
	DeviceID string   `json:"device_id"`
	Version  string   `json:"version"`
	At       string   `json:"at"`
	Pass     bool     `json:"pass"`
	Failed   []string `json:"failed"`
	Parts    []Part   `json:"parts"`
}

func (r *Report) add(part string, err error, detail string) {
	p := Part{Part: part, Result: "pass", Detail: detail}
	if err != nil {
		p.Result, p.Detail = "fail", err.Error()
		r.Failed = append(r.Failed, part)
	}
	r.Parts = append(r.Parts, p)
}

func (r *Report) skip(part, why string) {
	r.Parts = append(r.Parts, Part{Part: part, Result: "skip", Detail: why})
}

// cmdSelftest walks a technician through every configured part of the
// pad and ends with a pass/fail report. Exit status 1 when a part fails.
func cmdSelftest(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("evalpad selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "TOML config file (required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 30*time.Second, "how long each interactive step waits")
	yes := fs.Bool("yes", false, "do not ask the technician to confirm what the panel shows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{errors.New("selftest: --config FILE is required")}
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "selftest: "+format+"\n", a...) }
	rep := &Report{Version: versionString(), At: time.Now().Format(time.RFC3339)}
	defer func() {}()
	cfg, err := config.Load(*cfgPath)
	rep.add("config", err, *cfgPath)
	if err != nil {
		return finish(rep, *asJSON, stdout)
	}
	rep.DeviceID = cfg.DeviceID

	// The font and every configured text, as the screen would draw them.
	scr, err := selftestScreen(cfg)
	fontDetail := ""
	if scr != nil {
		fontDetail = "every configured text has glyphs"
	}
	rep.add("font", err, fontDetail)

	// The store: its directory writable and the file consistent.
	dir := firstOf(cfg.DataDir, "/var/lib/evalpad")
	rep.add("store", checkStore(dir), filepath.Join(dir, "evalpad.db"))

	hw, err := openHardware(cfg, log)
	if err != nil {
		rep.add("drivers", err, "")
		return finish(rep, *asJSON, stdout)
	}
	defer hw.close()

	w, h, _ := cfg.Display.Dimensions()
	if hw.panel == nil {
		rep.skip("panel", "no [panel] driver configured")
	} else {
		say("panel: showing the test pattern (colour bars, white frame and corners)")
		err := hw.panel.Show(testPattern(w, h))
		if err == nil && !*yes {
			err = confirm(stdin, stderr, "屏幕上是否显示彩条、白色边框和四角白块？Is the test pattern shown whole? [y/N] ")
		}
		rep.add("panel", err, hw.panelName+": test pattern shown")
	}

	if hw.buttons == nil {
		rep.skip("buttons", "no [buttons] driver configured")
	} else {
		say("buttons: 请依次按下 1★ 到 5★ 每个按键 — press each star button once (%s)", *timeout)
		seen, err := collect(ctx, *timeout, 5, func(ctx context.Context, got func(int)) error {
			return hw.buttons.Run(ctx, func(star int) {
				say("buttons: %d★ pressed", star)
				got(star)
			})
		})
		var missing []string
		for s := 1; s <= 5; s++ {
			if !slices.Contains(seen, s) {
				missing = append(missing, fmt.Sprintf("%d★", s))
			}
		}
		if err == nil && len(missing) > 0 {
			err = fmt.Errorf("%s: not pressed within %s: %s", hw.buttonsName, *timeout, strings.Join(missing, " "))
		}
		rep.add("buttons", err, fmt.Sprintf("%s: all five pressed", hw.buttonsName))
	}

	if hw.touch == nil {
		rep.skip("touch", "no [touch] path configured")
	} else {
		say("touch: 请依次触摸屏幕四角 — touch the four corners of the screen (%s)", *timeout)
		corner := func(x, y int) int { // 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right, -1 not near one
			col, row := -1, -1
			switch {
			case x < w/4:
				col = 0
			case x >= w-w/4:
				col = 1
			}
			switch {
			case y < h/4:
				row = 0
			case y >= h-h/4:
				row = 1
			}
			if col < 0 || row < 0 {
				return -1
			}
			return row*2 + col
		}
		seen, err := collect(ctx, *timeout, 4, func(ctx context.Context, got func(int)) error {
			return hw.touch.Run(ctx, func(x, y int) {
				c := corner(x, y)
				say("touch: (%d, %d)%s", x, y, map[bool]string{true: "", false: " — not near a corner"}[c >= 0])
				if c >= 0 {
					got(c)
				}
			})
		})
		names := []string{"top-left", "top-right", "bottom-left", "bottom-right"}
		var missing []string
		for c, n := range names {
			if !slices.Contains(seen, c) {
				missing = append(missing, n)
			}
		}
		if err == nil && len(missing) > 0 {
			err = fmt.Errorf("touch %s: corners not touched within %s: %s", hw.touch.Path, *timeout, strings.Join(missing, ", "))
		}
		rep.add("touch", err, hw.touch.Path+": four corners")
	}

	if hw.printer == nil {
		rep.skip("printer", "no printer.uri configured")
	} else {
		say("printer: printing a test receipt")
		rep.add("printer", testPrint(ctx, cfg, hw, *timeout), cfg.Printer.URI+": test receipt printed, status fine")
	}
	return finish(rep, *asJSON, stdout)
}

// selftestScreen checks the font and the glyphs of every configured text.
func selftestScreen(cfg config.Config) (*screen.Screen, error) {
	font, err := loadFont(cfg)
	if err != nil {
		return nil, err
	}
	return buildScreen(cfg, font, pad.View{Screen: pad.ScreenIdle, OnDuty: rating.RecordStaff{ID: cfg.Staff.ID, Name: cfg.Staff.Name}})
}

func checkStore(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(dir, "evalpad.db"), store.Options{})
	if err != nil {
		return fmt.Errorf("%w (stop a running evalpad first)", err)
	}
	defer st.Close()
	return st.Check()
}

// collect runs a driver until want distinct values came, or timeout.
func collect(ctx context.Context, timeout time.Duration, want int, run func(ctx context.Context, got func(int)) error) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	vals := make(chan int, 16)
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, func(v int) { vals <- v }) }()
	var seen []int
	for len(seen) < want {
		select {
		case v := <-vals:
			if !slices.Contains(seen, v) {
				seen = append(seen, v)
			}
		case err := <-errc:
			if ctx.Err() == nil && err != nil {
				return seen, err
			}
			return seen, nil
		}
	}
	cancel()
	<-errc
	return seen, nil
}

// testPrint prints a test receipt and waits until the printer took it and
// reports no fault.
func testPrint(ctx context.Context, cfg config.Config, hw *hardware, timeout time.Duration) error {
	key := cfg.Receipt.Key
	if key == "" {
		key = simDevKey
	}
	u, err := receipt.ScanURL(cfg.Display.ScanURL, []byte(key), "SELFTEST", cfg.DeviceID)
	if err != nil {
		return err
	}
	loc, _ := cfg.Location()
	job, err := receipt.Encode(receipt.Receipt{Hall: cfg.Hall, Window: cfg.Window, StaffID: cfg.Staff.ID,
		ProjectNo: "SELFTEST", TaskName: "打印测试 printer test", At: time.Now().In(loc), URL: u},
		receipt.Profile{Paper: cfg.Printer.Paper, QR: cfg.Printer.QR})
	if err != nil {
		return err
	}
	if _, err := hw.printer.Print(job); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		st := hw.printer.Status()
		switch {
		case st.Failed > 0:
			return fmt.Errorf("%s: the test receipt failed: %s", cfg.Printer.URI, st.LastError)
		case st.Jobs > 0 && len(printerFaults(st)) == 0:
			return nil
		case time.Now().After(deadline):
			if f := printerFaults(st); len(f) > 0 {
				return fmt.Errorf("%s: %s", cfg.Printer.URI, strings.Join(f, "; "))
			}
			return fmt.Errorf("%s: the test receipt was not taken within %s", cfg.Printer.URI, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// confirm asks the technician a yes/no question.
func confirm(stdin io.Reader, stderr io.Writer, q string) error {
	fmt.Fprint(stderr, q)
	line, _ := bufio.NewReader(stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a == "y" || a == "yes" || a == "是" {
		return nil
	}
	return errors.New("the technician did not confirm the test pattern")
}

// finish prints the report and turns a failed part into the exit status.
func finish(rep *Report, asJSON bool, stdout io.Writer) error {
	rep.Pass = len(rep.Failed) == 0
	if rep.Failed == nil {
		rep.Failed = []string{}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "evalpad selftest — %s, %s, %s\n", rep.DeviceID, rep.Version, rep.At)
		for _, p := range rep.Parts {
			fmt.Fprintf(stdout, "%-5s %-8s %s\n", strings.ToUpper(p.Result), p.Part, p.Detail)
		}
		if rep.Pass {
			fmt.Fprintln(stdout, "RESULT: PASS")
		} else {
			fmt.Fprintf(stdout, "RESULT: FAIL (%s)\n", strings.Join(rep.Failed, ", "))
		}
	}
	if !rep.Pass {
		return silentError{fmt.Errorf("selftest failed: %s", strings.Join(rep.Failed, ", "))}
	}
	return nil
}

// silentError fails the command without printing again what was reported.
type silentError struct{ error }
