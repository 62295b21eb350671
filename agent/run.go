package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"evalpad/pad"
	"evalpad/sync/protocol"
)

// Run runs the pad until ctx ends: the local API on api.listen, the
// pad's timers, the link to the central, the drivers (buttons, touch,
// panel) and the hourly pruning of acked records. It owns every goroutine
// it starts and returns only when all have stopped: nil after ctx ended,
// or the error that stopped the HTTP server. A driver that fails is
// logged and shown among the faults; the pad keeps taking ratings from
// what still works.
func (a *Agent) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config().API.Listen)
	if err != nil {
		return fmt.Errorf("agent: listen: %w", err)
	}
	if a.parts.OnListen != nil {
		a.parts.OnListen(ln.Addr())
	}
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.runCtx = ctx
	var wg sync.WaitGroup
	a.pad.Start()
	wg.Go(func() { a.upd.watchTrial(ctx) })
	wg.Go(func() { a.every(ctx, time.Hour, a.prune) })
	wg.Go(func() { a.runVoice(ctx) })
	if a.link != nil {
		unsub := a.pad.Subscribe(func(pad.View) { a.link.Kick() }) // a record may have landed
		defer unsub()
		wg.Go(func() { a.link.Run(ctx) })
	}
	if b := a.hw.Buttons; b != nil {
		wg.Go(func() {
			a.driver(ctx, a.hw.ButtonsName, func(ctx context.Context) error {
				return b.Run(ctx, a.buttonPress)
			})
		})
	}
	if t := a.hw.Touch; t != nil && a.screen != nil {
		wg.Go(func() {
			a.driver(ctx, a.hw.TouchName, func(ctx context.Context) error {
				return t.Run(ctx, func(x, y int) {
					if _, _, err := a.screen.Touch(a.pad, x, y); err != nil {
						a.log.Info("touch", "x", x, "y", y, "err", err)
					}
				})
			})
		})
	}
	if a.hw.Panel != nil && a.screen != nil {
		wg.Go(func() { a.drivePanel(ctx) })
	}
	a.log.Info("evalpad agent", "version", a.parts.Version, "device", a.Config().DeviceID,
		"buttons", a.hw.ButtonsName, "panel", a.hw.PanelName, "printer", a.hw.PrinterName,
		"broker", protocol.RedactURL(a.Config().Sync.Broker), "listen", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The store was opened by New and the listener is bound: requests
	// queue on it from now on.
	a.notify("READY=1")
	if wd := a.parts.Systemd.Watchdog(); wd > 0 {
		wg.Go(func() { a.watchdog(ctx, wd/2) })
	}
	restart := false
	select {
	case err = <-errc:
	case <-a.upd.restarting():
		restart = true
	case <-ctx.Done():
	}
	a.notify("STOPPING=1")
	if err == nil {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		scancel()
		<-errc
	}
	cancel()
	wg.Wait()
	a.upd.stop()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err == nil && restart {
		err = ErrRestart
	}
	return err
}

// notify tells systemd state, if the agent runs under it.
func (a *Agent) notify(state string) {
	if err := a.parts.Systemd.Notify(state); err != nil {
		a.log.Warn("systemd notify", "err", err)
	}
}

// watchdog sends WATCHDOG=1 now and then every d, on the agent's clock,
// each time the pad's state machine has answered a question (a View,
// which takes its lock) within the period: a pad whose lock is held by a
// write that never returns stops the pings, and systemd restarts the
// service after WatchdogSec. The next tick is armed before the pad is
// asked, so the period does not drift by the answer's time; a question
// still unanswered is not asked again.
func (a *Agent) watchdog(ctx context.Context, d time.Duration) {
	tick := make(chan struct{}, 1)
	var answer chan struct{} // closed when the pad answered the pending question
	for {
		t := a.clock.AfterFunc(d, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
		if answer == nil {
			answer = make(chan struct{})
			go func(done chan struct{}) {
				a.pad.View()
				close(done)
			}(answer)
		}
		select {
		case <-answer:
			answer = nil
			a.notify("WATCHDOG=1")
			select {
			case <-tick:
			case <-ctx.Done():
				t.Stop()
				return
			}
		case <-tick: // a whole period without an answer: no ping
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// driver runs one input driver until ctx ends; a failure is logged and
// listed among the faults until the pad restarts.
func (a *Agent) driver(ctx context.Context, name string, run func(ctx context.Context) error) {
	err := run(ctx)
	if err != nil && ctx.Err() == nil {
		a.log.Error("driver stopped", "driver", name, "err", err)
		a.driverErrs.Store(name, err.Error())
	}
}

// prune drops acked records past their retention.
func (a *Agent) prune() {
	if n, err := a.store.Prune(a.clock.Now()); err != nil {
		a.log.Error("prune", "err", err)
	} else if n > 0 {
		a.log.Info("pruned acked records past retention", "records", n)
	}
}

// every calls fn now and then every d until ctx ends, on the agent's clock.
func (a *Agent) every(ctx context.Context, d time.Duration, fn func()) {
	tick := make(chan struct{}, 1)
	for {
		fn()
		t := a.clock.AfterFunc(d, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-tick:
		}
	}
}

// drivePanel sends a frame to the panel after every change of the screen,
// and once a minute for the idle screen's clock. It wakes for nothing else.
// A failing panel is logged once and listed among the faults until it
// shows a frame again.
func (a *Agent) drivePanel(ctx context.Context) {
	changed := make(chan struct{}, 1)
	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	stop := a.screen.Watch(func(uint64, pad.View) { signal() })
	defer stop()
	var minute pad.Timer
	defer func() { minute.Stop() }()
	for {
		minute = a.clock.AfterFunc(time.Minute, signal)
		frame, _ := a.screen.Frame()
		if err := a.hw.Panel.Show(frame); err != nil {
			if a.panelErr.Load() == nil {
				a.log.Error("panel", "panel", a.hw.PanelName, "err", err) // once, not every minute
			}
			msg := err.Error()
			a.panelErr.Store(&msg)
		} else {
			a.panelErr.Store(nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
			minute.Stop()
		}
	}
}
