package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"evalpad/pad"
	"evalpad/agent/config"
	"evalpad/pad/localapi"
	"evalpad/store"
	"evalpad/sync/protocol"
)

// agent is one running pad: store, state machine, and HTTP server.
type agent struct {
	cfg   config.Config
	store *store.Store
	pad   *pad.Pad
	mux   *http.ServeMux
	api   *localapi.API
	log   *slog.Logger

	mu       sync.Mutex
	central  protocol.Config           // what the central's down/config set, merged
	onConfig []func(cfg config.Config) // told after a config from the central applied
	// checkGlyphs, when set, refuses a config whose texts the font lacks.
	checkGlyphs func(cfg config.Config) error
}

// newAgent opens the store in dataDir and builds the pad from cfg.
func newAgent(cfg config.Config, dataDir string, log *slog.Logger) (*agent, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(filepath.Join(dataDir, "evalpad.db"), store.Options{
		OutboxMax: cfg.Store.OutboxMax, Retention: cfg.Store.Retention.Duration, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	// What the central set last wins over the file, from the first frame on.
	var central protocol.Config
	if raw, err := st.State(centralConfigKey); err != nil {
		st.Close()
		return nil, err
	} else if raw != nil {
		c, err := protocol.ParseConfig(raw)
		if err == nil {
			var merged config.Config
			if merged, err = mergeCentral(cfg, c); err == nil {
				cfg, central = merged, c
			}
		}
		if err != nil {
			log.Warn("the config the central sent earlier does not apply; using the file's", "err", err)
		}
	}
	set, err := padSettings(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	p, err := pad.New(set, st, pad.SystemClock{}, rand.Reader, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &agent{cfg: cfg, central: central, store: st, pad: p, mux: http.NewServeMux(), log: log}
	a.api = &localapi.API{Pad: p, Outbox: st, Token: cfg.API.Token, Version: versionString(), Logger: log}
	a.api.Register(a.mux)
	return a, nil
}

// serve runs the HTTP server on listen until ctx ends, then shuts down.
// It logs the address it listens on (port 0 picks a free one).
func (a *agent) serve(ctx context.Context, listen string, stderr io.Writer) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: a.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	a.pad.Start()
	done := make(chan struct{})
	go a.pruneLoop(ctx, done)
	fmt.Fprintf(stderr, "evalpad: listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	<-done
	return err
}

// pruneLoop drops acked records past their retention, at start and hourly.
func (a *agent) pruneLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.store.Prune(time.Now()); err != nil {
			a.log.Error("prune", "err", err)
		} else if n > 0 {
			a.log.Info("pruned acked records past retention", "records", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *agent) close() error {
	a.pad.Close()
	return a.store.Close()
}

func loadConfig(path string) (config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

func defaultSimData() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "evalpad-sim")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "evalpad-sim")
	}
	return filepath.Join(os.TempDir(), "evalpad-sim")
}

func cmdSim(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("evalpad sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "address of the local and simulation API (default: the config's api.listen, 127.0.0.1:8080)")
	data := fs.String("data", "", "state directory (default: the config's data_dir, else "+defaultSimData()+")")
	cfgPath := fs.String("config", "", "TOML config file (default: embedded defaults)")
	syncF := addSyncFlags(fs) // --broker and the link's options (sync.go)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("sim: unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	dir := firstOf(*data, cfg.DataDir, defaultSimData())
	a, err := newAgent(cfg, dir, log)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := simHardware(a, dir, log); err != nil {
		a.close()
		return fmt.Errorf("sim: %w", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	stopSync, err := startSync(ctx, a, syncF.withConfig(cfg.Sync, set), log)
	if err != nil {
		a.close()
		return fmt.Errorf("sim: %w", err)
	}
	log.Info("evalpad sim", "version", versionString(), "device", cfg.DeviceID, "data", dir)
	err = a.serve(ctx, firstOf(*listen, cfg.API.Listen), stderr)
	stopSync()
	if cerr := a.close(); err == nil {
		err = cerr
	}
	return err
}

func cmdConfig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalpad config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "TOML config file (default: embedded defaults)")
	example := fs.Bool("example", false, "print the commented reference config instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *example {
		_, err := stdout.Write(config.Example())
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	b, err := config.Marshal(cfg)
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
