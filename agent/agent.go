package agent

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"

	"evalpad/agent/config"
	"evalpad/agent/hardware"
	"evalpad/agent/screen"
	"evalpad/agent/sdnotify"
	"evalpad/agent/voice"
	"evalpad/display"
	"evalpad/firmware"
	"evalpad/pad"
	"evalpad/pad/localapi"
	"evalpad/rating"
	"evalpad/store"
	"evalpad/sync/link"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Parts are what an agent is built from besides its config.
type Parts struct {
	// Hardware is the pad's drivers (hardware.Open), nil for none. The agent
	// that New returns owns it: its Close closes the drivers. A New that
	// fails leaves them open for the caller.
	Hardware *hardware.Set
	// Simulated marks the parts of `evalpad sim`: with no CJK font the pad
	// runs without a screen picture (a warning), and with no receipt.key
	// receipts are signed with the public DevReceiptKey (a warning). A real
	// pad refuses to start with either.
	Simulated bool
	// Extensions attach to the agent once it is built (agent/sim's page).
	Extensions []Extension
	// Font draws the screen; nil loads display.font, else the search list.
	Font *display.Font
	// BrokerPassword, when set, is the MQTT password (it wins over the
	// config's sync.password_file); cmd takes it from the environment.
	BrokerPassword string
	// Voice plays the pad's clips when voice.enabled; nil is aplay on
	// voice.device. The simulator's plays them in the browser.
	Voice voice.Player
	// Version is reported in the state and the MQTT status.
	Version string
	// Boot is the pad's boot control for firmware updates; nil builds it
	// from the config's [update] and Slots.
	Boot firmware.BootControl
	// Slots is the agent slots' root when the config names none: where
	// `evalpad boot` runs the agent (env EVALPAD_SLOTS); "" for none.
	Slots string
	// Clock is the agent's only source of time; nil is the system clock.
	Clock pad.Clock
	// Rand makes record ids; nil is crypto/rand.
	Rand io.Reader
	// OnListen, if set, is told the local API's address once Run listens.
	OnListen func(addr net.Addr)
	// Systemd, when set (under a Type=notify unit), is told READY=1 once
	// the store is open and the local API listens, WATCHDOG=1 at half its
	// watchdog interval while the pad answers, and STOPPING=1 on the way
	// out. nil outside systemd.
	Systemd *sdnotify.Notifier
	Logger  *slog.Logger
}

// An Extension adds to a built agent: routes on its HTTP server, listeners
// of its pad or screen. Attach runs once, at the end of New; the detach
// func it returns runs at Close and must undo every subscription.
type Extension interface {
	Attach(a *Agent) (detach func(), err error)
}

// Agent is one pad, put together. Build it with New, run it with Run, and
// Close it after Run returned.
type Agent struct {
	file     config.Config // the config as given; the central's overlay goes on it
	parts    Parts
	log      *slog.Logger
	clock    pad.Clock
	hw       *hardware.Set
	key      ed25519.PrivateKey // the device key: signs every record
	store    *store.Store
	pad      *pad.Pad
	screen   *screen.Screen // nil: no font (the simulator only)
	receipts *receipts      // nil: no printer
	mux      *http.ServeMux
	handler  http.Handler // mux behind the LAN rules (localapi.Guard)
	link     *link.Link   // nil: no broker
	upd      *updater     // nil: no boot control (no firmware updates)
	runCtx   context.Context
	detach   []func()

	cfgMu   sync.Mutex // serializes applying configs from the central
	mu      sync.Mutex // guards cfg and central
	cfg     config.Config
	central protocol.Config // what the central set so far, accumulated

	recent recentCases // project numbers of the sessions opened since the start

	voice      *voice.Voice           // nil: voice.enabled is false
	voiceErr   atomic.Pointer[string] // the voice's last failure, nil once a clip plays
	panelErr   atomic.Pointer[string] // the panel's last failure, nil when it shows
	driverErrs sync.Map               // driver name → its last failure (string)
}

// DefaultDataDir is where `evalpad run` keeps its store when the config
// names no data_dir.
const DefaultDataDir = "/var/lib/evalpad"

// New builds the pad cfg describes from parts: it loads the device key
// from cfg.DataDir, or makes it (DeviceKeyFile; every record is signed
// with it, provisioned or not), opens the store there (salvaging a damaged
// one), lays the central's config over
// cfg, restores the open session, builds the screen, the receipt printer,
// the local API and the link, and attaches the extensions. Nothing runs
// until Run. On error what New opened is closed again.
func New(cfg config.Config, parts Parts) (a *Agent, err error) {
	a = &Agent{file: cfg, cfg: cfg, parts: parts, log: parts.Logger, clock: parts.Clock, hw: parts.Hardware,
		mux: http.NewServeMux()}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.clock == nil {
		a.clock = pad.SystemClock{}
	}
	if a.hw == nil {
		a.hw = &hardware.Set{}
	}
	defer func() {
		if err != nil {
			a.hw = nil // the caller's still
			a.Close()
			a = nil
		}
	}()
	if err := cfg.Validate(); err != nil {
		return a, err
	}
	if cfg.DataDir == "" {
		return a, errors.New("agent: config: data_dir: the command sets one when the file does not")
	}
	key, created, err := LoadDeviceKey(cfg.DataDir)
	if err != nil {
		return a, &PartError{Part: "key", Err: err}
	}
	a.key = key
	if created {
		a.log.Info("made the device key", "file", filepath.Join(cfg.DataDir, DeviceKeyFile), "fingerprint", trust.Fingerprint(trust.Public(key)))
	}
	if err := a.openStore(key); err != nil {
		return a, &PartError{Part: "store", Err: err}
	}
	if err := a.loadCentral(); err != nil {
		return a, &PartError{Part: "store", Err: err}
	}
	cfg = a.cfg
	set, err := settings(cfg)
	if err != nil {
		return a, err
	}
	rnd := parts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if a.pad, err = pad.New(set, a.store, a.clock, rnd, a.log); err != nil {
		return a, &PartError{Part: "store", Err: err}
	}
	if err := a.buildScreen(cfg); err != nil {
		return a, &PartError{Part: "font", Err: err}
	}
	if err := a.buildVoice(cfg); err != nil {
		return a, &PartError{Part: "voice", Err: err}
	}
	if a.hw.Printer != nil {
		if a.receipts, err = newReceipts(a, cfg, a.hw.Printer, parts.Simulated); err != nil {
			return a, &PartError{Part: "receipt", Err: err}
		}
	}
	api := &localapi.API{Pad: a, Token: cfg.API.Token, Repair: a.store, Logger: a.log}
	if a.receipts != nil {
		api.Receipts = a.receipts
	}
	api.Register(a.mux)
	a.handler = localapi.NewGuard(a.mux, localapi.GuardOptions{Listen: cfg.API.Listen, Hosts: cfg.API.Hosts,
		Origins: cfg.API.Origins, Rate: cfg.API.Rate, Burst: cfg.API.Burst, Clock: a.clock, Logger: a.log})
	if cfg.Sync.Broker != "" {
		if a.link, err = a.newLink(cfg); err != nil {
			return a, &PartError{Part: "sync", Err: err}
		}
	}
	if a.upd, err = newUpdater(a, cfg); err != nil {
		return a, &PartError{Part: "update", Err: err}
	}
	for _, x := range parts.Extensions {
		detach, err := x.Attach(a)
		if err != nil {
			return a, err
		}
		a.detach = append(a.detach, detach)
	}
	return a, nil
}

// PartError is a New that failed in one part of the pad: "key", "store",
// "font", "voice", "receipt" or "sync". Selftest reports it under that part.
type PartError struct {
	Part string
	Err  error
}

func (e *PartError) Error() string { return e.Err.Error() }
func (e *PartError) Unwrap() error { return e.Err }

// buildScreen makes the screen from cfg and follows the pad with it. With
// no font the simulator runs without a screen picture; a real pad, or a
// font the config names, is an error.
func (a *Agent) buildScreen(cfg config.Config) error {
	font := a.parts.Font
	if font == nil {
		var err error
		if font, err = LoadFont(cfg); err != nil {
			switch {
			case cfg.Display.Font != "":
				return fmt.Errorf("display.font: %w", err) // named in the config: it must be there
			case a.parts.Simulated:
				a.log.Warn("the simulator runs without its screen picture and receipt images", "err", err)
				return nil
			}
			return err
		}
	}
	scr, err := screen.FromConfig(cfg, font, a.clock)
	if err != nil {
		return err
	}
	if err := scr.Check(a.pad.View()); err != nil {
		return err
	}
	if cfg.Staff.Photo != "" && cfg.Staff.ID != "" {
		img, err := screen.DecodePhoto(cfg.Staff.Photo)
		if err != nil {
			if !a.parts.Simulated {
				return fmt.Errorf("staff.photo: %w", err)
			}
			a.log.Warn("staff photo", "err", err)
		} else {
			scr.SetPhoto(cfg.Staff.ID, img)
		}
	}
	a.screen = scr
	scr.Show(a.pad.View())
	a.detach = append(a.detach, a.pad.Subscribe(scr.Show))
	return nil
}

// LoadFont loads the font cfg names (display.font), else the first of the
// usual places that has one.
func LoadFont(cfg config.Config) (*display.Font, error) {
	var paths []string
	if cfg.Display.Font != "" {
		paths = []string{cfg.Display.Font}
	}
	return display.LoadFont(paths)
}

// Close detaches the extensions and closes the pad, the store and the
// drivers. Call it after Run returned.
func (a *Agent) Close() error {
	for i := len(a.detach) - 1; i >= 0; i-- {
		a.detach[i]()
	}
	a.detach = nil
	var errs []error
	if a.pad != nil {
		a.pad.Close()
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
		a.store = nil
	}
	if a.hw != nil {
		errs = append(errs, a.hw.Close())
	}
	return errors.Join(errs...)
}

// Config is the config in force: the file's, with the central's on top.
func (a *Agent) Config() config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

// Pad is the state machine.
func (a *Agent) Pad() *pad.Pad { return a.pad }

// Screen is the screen, nil when the simulator runs without a font.
func (a *Agent) Screen() *screen.Screen { return a.screen }

// PublicKey is the public half of the device key, which signs every record.
func (a *Agent) PublicKey() ed25519.PublicKey { return trust.Public(a.key) }

// Store is the pad's store.
func (a *Agent) Store() *store.Store { return a.store }

// Handler serves the local API and what extensions added, behind the LAN
// rules (localapi.Guard): what Run serves.
func (a *Agent) Handler() http.Handler { return a.handler }

// Mux is the local HTTP server's mux, for extensions to add routes to.
func (a *Agent) Mux() *http.ServeMux { return a.mux }

// OpenSession opens s on the pad and shows its staff photo: the one way a
// session opens, whether the counter's business system sent it over the
// LAN or the central over MQTT.
func (a *Agent) OpenSession(s rating.Session) (pad.OpenResult, error) {
	photo := s.Staff.Photo
	res, err := a.pad.OpenSession(s)
	if err != nil {
		return res, err
	}
	for _, c := range s.Cases {
		a.recent.add(c.ProjectNo)
	}
	if photo == "" || a.screen == nil {
		return res, nil
	}
	img, perr := screen.DecodePhoto(photo)
	if perr != nil {
		a.log.Warn("session staff photo not shown", "session", s.ID, "staff", s.Staff.ID, "err", perr)
		return res, nil
	}
	a.screen.SetPhoto(s.Staff.ID, img)
	return res, nil
}

// Pause shows 暂停服务 (refused while a session waits).
func (a *Agent) Pause() error { return a.statusNow(a.pad.Pause()) }

// Resume leaves 暂停服务.
func (a *Agent) Resume() error { return a.statusNow(a.pad.Resume()) }

// statusNow publishes the status at once after a pause or resume that
// worked: the central keeps when each pad paused (its 可疑 list flags
// ratings dated inside a pause), so the change must not wait for the
// next periodic status.
func (a *Agent) statusNow(err error) error {
	if err == nil && a.link != nil {
		a.link.PublishStatus()
	}
	return err
}

var _ localapi.Pad = (*Agent)(nil)
