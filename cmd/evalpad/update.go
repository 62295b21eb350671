package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"evalpad/agent"
	"evalpad/firmware"
)

// cmdUpdate is `evalpad update`: one pad updated by hand. step, nil in
// the evalpad binary, lets the tests' child stop at a named step.
func cmdUpdate(ctx context.Context, args []string, stdout, stderr io.Writer, step func(string)) error {
	fs := flag.NewFlagSet("evalpad update", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "the artifact file")
	url := fs.String("url", "", "download the artifact from this http(s) URL (resumed when cut)")
	sum := fs.String("sha256", "", "with --url: the artifact file's SHA-256 (hex)")
	size := fs.Int64("size", 0, "with --url: the artifact file's size in bytes")
	var keys multiFlag
	fs.Var(&keys, "vendor-key", "a trusted vendor public key file, or a directory of *.pub (repeatable; default update.vendor_keys)")
	slots := fs.String("slots", "", "the agent slots' root (default update.slots)")
	data := fs.String("data", "", "the data directory, whose store's format the update must read (default data_dir, else "+agent.DefaultDataDir+")")
	cfgPath := fs.String("config", "", "TOML config file ([update] and data_dir; default: embedded defaults)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("update: unexpected argument %q", fs.Arg(0))}
	}
	if (*file == "") == (*url == "") {
		return usageError{errors.New("update: give --file FILE or --url URL")}
	}
	if *url != "" && (*sum == "" || *size <= 0) {
		return usageError{errors.New("update: --url needs --sha256 and --size (from the central's listing)")}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		keys = cfg.Update.VendorKeys
	}
	if len(keys) == 0 {
		return usageError{errors.New("update: --vendor-key PUB is required (or update.vendor_keys)")}
	}
	u := cfg.Update
	if *slots != "" {
		u.Slots, u.UBootConfig = *slots, ""
	}
	bc := agent.BootControl(u, "")
	root := u.Slots
	if u.UBootConfig != "" {
		root = ""
	}
	o := agent.UpdateOptions{File: *file, URL: *url, SHA256: *sum, Size: *size, VendorKeys: keys, Boot: bc, Slots: root,
		DataDir: firstOf(*data, cfg.DataDir, agent.DefaultDataDir), Version: version, Step: step,
		Say: func(format string, a ...any) { fmt.Fprintf(stdout, "update: "+format+"\n", a...) }}
	m, err := agent.Update(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "update: %s installed; it runs on trial and is kept once healthy\n", m.Version)
	return nil
}

// cmdBoot is `evalpad boot --slots DIR -- ARGS…`, the service's command:
// the known-good binary boots the current slot's agent with ARGS.
func cmdBoot(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) (int, error) {
	fs := flag.NewFlagSet("evalpad boot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	slots := fs.String("slots", "", "the agent slots' root (required)")
	limit := fs.Int("boot-limit", firmware.DefaultBootLimit, "boots a new version gets without marking itself good")
	trial := fs.Duration("trial", firmware.DefaultTrial, "how long a new version has from its first boot to mark itself good")
	if err := fs.Parse(args); err != nil {
		return exitUsage, err
	}
	if *slots == "" || fs.NArg() == 0 {
		return exitUsage, usageError{errors.New("boot: --slots DIR -- ARGS… (the agent's command line, e.g. run --config FILE)")}
	}
	if *limit < 1 || *limit > 20 || *trial < 1e9 {
		return exitUsage, usageError{errors.New("boot: --boot-limit is 1 to 20, --trial at least 1s")}
	}
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sig)
	s := &firmware.AgentSlots{Root: *slots, BootLimit: *limit, TrialTime: *trial}
	// ctx is not passed: SIGTERM goes to the agent, which stops, and then
	// the supervisor with its code.
	return firmware.Supervise(context.Background(), s, fs.Args(), sig, log)
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint([]string(*m)) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
