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
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"evalpad/agent"
	"evalpad/agent/config"
	"evalpad/agent/hardware"
	"evalpad/agent/sdnotify"
	"evalpad/firmware"
)

func cmdSim(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	// The flags are parsed twice: once to find --config, then over the
	// loaded config, so that each flag given replaces its config field and
	// the others keep the file's values.
	//
	// The precedence is: the flags, then the provisioned identity in the
	// data directory, then the file, then the defaults. So the flags are
	// parsed a third time, over the file with the identity laid on it, once
	// the data directory (a flag, the file's, or the default) is known.
	var cfgPath string
	cfg := config.Default()
	if err := simFlags(&cfg, &cfgPath, stderr).Parse(args); err != nil {
		return err
	}
	file, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	cfg = file
	fs := simFlags(&cfg, &cfgPath, io.Discard)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("sim: unexpected argument %q", fs.Arg(0))}
	}
	dir := firstOf(cfg.DataDir, defaultSimData())
	id, err := agent.LoadIdentity(dir)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	cfg = id.Apply(file)
	if err := simFlags(&cfg, &cfgPath, io.Discard).Parse(args); err != nil {
		return err
	}
	cfg.DataDir = dir
	if err := cfg.Validate(); err != nil { // the flags' values too
		return usageError{fmt.Errorf("sim: %w", err)}
	}
	return runAgent(ctx, "sim", cfg, id, agent.SimulatedParts(cfg, log), stderr)
}

// simFlags are `evalpad sim`'s flags, bound to the fields of cfg they
// replace; a flag's default is the field's value.
func simFlags(cfg *config.Config, cfgPath *string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("evalpad sim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(cfgPath, "config", *cfgPath, "TOML config file (default: embedded defaults)")
	fs.StringVar(&cfg.API.Listen, "listen", cfg.API.Listen, "address of the local and simulation API (api.listen)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "state directory (data_dir; default "+defaultSimData()+")")
	fs.BoolVar(&cfg.Voice.Enabled, "voice", true, "speak the prompts, played in the page's browser (voice.enabled; on in the simulator)")
	s := &cfg.Sync
	fs.StringVar(&s.Broker, "broker", s.Broker, "MQTT broker of the central, e.g. tcp://HOST:1883 or ssl://HOST:8883 (sync.broker; none keeps records in the outbox)")
	fs.StringVar(&s.Username, "broker-user", s.Username, "MQTT username (the password is read from env EVALPAD_BROKER_PASSWORD)")
	fs.StringVar(&s.CentralKey, "central-key", s.CentralKey, "the central's ed25519 public key, base64, that its messages are signed with (sync.central_key; evalpad provision sets it)")
	fs.StringVar(&s.CAFile, "broker-ca", s.CAFile, "PEM CA file to verify the broker's TLS certificate (default: system roots)")
	fs.StringVar(&s.CertFile, "broker-cert", s.CertFile, "PEM client certificate for mutual TLS")
	fs.StringVar(&s.KeyFile, "broker-key", s.KeyFile, "PEM key of --broker-cert")
	fs.IntVar(&s.Batch, "sync-batch", s.Batch, "records per up/records message")
	fs.IntVar(&s.InFlight, "sync-inflight", s.InFlight, "up/records messages waiting for the central's ack at most")
	fs.DurationVar(&s.AckTimeout.Duration, "sync-ack-timeout", s.AckTimeout.Duration, "send unacked records again after this")
	fs.DurationVar(&s.RetryMin.Duration, "sync-retry-min", s.RetryMin.Duration, "first reconnect delay; doubles up to --sync-retry-max, with jitter")
	fs.DurationVar(&s.RetryMax.Duration, "sync-retry-max", s.RetryMax.Duration, "longest reconnect delay")
	return fs
}

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
	cfg, id, err := agent.Provisioned(cfg, agent.DefaultDataDir)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	hw, err := hardware.Open(cfg, log)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if m := hw.Missing(); len(m) > 0 {
		hw.Close()
		return fmt.Errorf("run: the config names no %s; a pad needs them (see 'evalpad config --example')", strings.Join(m, " and no "))
	}
	return runAgent(ctx, "run", cfg, id, agent.Parts{Hardware: hw, Logger: log}, stderr)
}

// brokerPassword is env EVALPAD_BROKER_PASSWORD, else the identity's.
func brokerPassword(id *agent.Identity) string {
	return firstOf(os.Getenv("EVALPAD_BROKER_PASSWORD"), id.MQTTPassword())
}

// runAgent builds the agent from cfg and parts and runs it until ctx ends.
func runAgent(ctx context.Context, mode string, cfg config.Config, id *agent.Identity, parts agent.Parts, stderr io.Writer) error {
	parts.Version = versionString()
	parts.Slots = os.Getenv(firmware.EnvSlots) // set by evalpad boot
	parts.BrokerPassword = brokerPassword(id)
	parts.OnListen = func(addr net.Addr) { fmt.Fprintf(stderr, "evalpad: listening on http://%s\n", addr) }
	// Under a systemd unit of Type=notify. Run by `evalpad boot` (the
	// unit's main process), the agent pings the watchdog for its parent.
	supervisor := 0
	if parts.Slots != "" {
		supervisor = os.Getppid()
	}
	sd, err := sdnotify.FromEnv(supervisor)
	var a *agent.Agent
	if err == nil {
		parts.Systemd = sd
		a, err = agent.New(cfg, parts)
	}
	if err != nil {
		if parts.Hardware != nil {
			parts.Hardware.Close()
		}
		return fmt.Errorf("%s: %w", mode, err)
	}
	err = a.Run(ctx)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
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
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return finish(agent.SelftestConfigFailed(*cfgPath, versionString(), err), *asJSON, stdout)
	}
	cfg, id, err := agent.Provisioned(cfg, agent.DefaultDataDir)
	if err != nil {
		return finish(agent.SelftestConfigFailed(*cfgPath, versionString(), err), *asJSON, stdout)
	}
	rep := selftest(ctx, cfg, id, *cfgPath, *timeout, *yes, stdin, stderr, log)
	return finish(rep, *asJSON, stdout)
}

// selftest runs the selftest of cfg, asking the technician on stderr.
func selftest(ctx context.Context, cfg config.Config, id *agent.Identity, cfgPath string, timeout time.Duration, yes bool,
	stdin io.Reader, stderr io.Writer, log *slog.Logger) *agent.Report {
	o := agent.SelftestOptions{ConfigPath: cfgPath, Timeout: timeout,
		Say: func(format string, a ...any) { fmt.Fprintf(stderr, "selftest: "+format+"\n", a...) }}
	if !yes {
		in := bufio.NewReader(stdin)
		o.Confirm = func(q string) error {
			fmt.Fprint(stderr, q)
			line, _ := in.ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(line)); a == "y" || a == "yes" || a == "是" {
				return nil
			}
			return errors.New("the technician did not confirm the test pattern")
		}
	}
	return agent.Selftest(ctx, cfg, agent.Parts{Logger: log, Version: versionString(), BrokerPassword: brokerPassword(id)}, o)
}

// finish prints the report and turns a failed part into the exit status.
func finish(rep *agent.Report, asJSON bool, stdout io.Writer) error {
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
	// Secrets (api.token, receipt.key, a broker password) print as
	// "<redacted>": this output lands in tickets and chat. A technician who
	// needs one reads the file it came from.
	b, err := config.MarshalRedacted(cfg)
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
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

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
