package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"evalpad/agent"
)

// cmdProvision enrolls the pad with the central and ends with the
// selftest, printing each step on stdout for the technician.
func cmdProvision(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("evalpad provision", flag.ContinueOnError)
	fs.SetOutput(stderr)
	central := fs.String("central", "", "the central's base URL, https://HOST[:PORT] (required)")
	code := fs.String("code", "", "the one-time enrollment code from the central's operator (required)")
	data := fs.String("data", "", "state directory (default: the config's data_dir, else "+agent.DefaultDataDir+")")
	cfgPath := fs.String("config", "", "TOML config file (default: embedded defaults)")
	device := fs.String("device", "", "the pad's device id (default: the one provisioned before, else the config's)")
	ca := fs.String("ca", "", "PEM CA file to verify the central's HTTPS certificate (default: system roots)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long each interactive step of the selftest waits")
	yes := fs.Bool("yes", false, "do not ask the technician to confirm what the panel shows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("provision: unexpected argument %q", fs.Arg(0))}
	case *central == "" || *code == "":
		return usageError{errors.New("provision: --central URL and --code CODE are required")}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	cfg.DataDir = firstOf(*data, cfg.DataDir, agent.DefaultDataDir)
	start := time.Now()
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "provision: "+format+"\n", a...) }
	id, err := agent.Provision(ctx, cfg, agent.ProvisionOptions{Central: *central, Code: *code, DeviceID: *device,
		CAFile: *ca, Version: versionString(), Say: say})
	if err != nil {
		return err
	}
	cfg, id, err = agent.Provisioned(cfg, agent.DefaultDataDir)
	if err != nil {
		return fmt.Errorf("provision: the provisioned config: %w", err)
	}
	say("selftest")
	rep := selftest(ctx, cfg, id, firstOf(*cfgPath, "(defaults)"), *timeout, *yes, stdin, stderr, log)
	err = finish(rep, false, stdout)
	say("done in %v", time.Since(start).Round(time.Millisecond))
	if err == nil {
		if *data == "" {
			say("start the pad: evalpad run --config %s", firstOf(*cfgPath, "FILE"))
		} else {
			say("start the pad: evalpad run with data_dir = %q in its config, or evalpad sim --data %s", cfg.DataDir, cfg.DataDir)
		}
	}
	return err
}
