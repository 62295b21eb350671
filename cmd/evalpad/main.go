// Command evalpad is the agent of a 好差评 window evaluator pad.
//
//	evalpad sim  [--listen ADDR] [--data DIR] [--config FILE]   simulated hardware
//	evalpad run  --config FILE                                  real hardware
//	evalpad config [--config FILE]                              print the effective config
//	evalpad selftest --config FILE [--json]                     check every configured part
//	evalpad provision --central URL --code CODE [--data DIR] [--config FILE] [--device ID] [--ca FILE]
//	                                                            enroll with the central, then selftest
//	evalpad update --file FILE | --url URL --sha256 H --size N  --vendor-key PUB [--slots DIR] [--data DIR]
//	                                                            install a signed firmware update
//	evalpad boot --slots DIR -- ARGS…                           the service: boot the current slot's agent
//	evalpad version
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
	"runtime/debug"
	"syscall"
	_ "time/tzdata" // records carry device time in its zone, even on a board without zoneinfo

	"evalpad/agent"
	"evalpad/firmware"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// updateStep is nil in the evalpad binary; the tests' child sets it to stop
// `evalpad update` at a step and be killed there.
var updateStep func(step string)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `evalpad: the agent of a 好差评 window evaluator pad

usage:
  evalpad sim  [--listen ADDR] [--data DIR] [--config FILE]   run with simulated hardware
  evalpad run  --config FILE                                  run on the pad's hardware
  evalpad config [--config FILE] [--example]                  print the effective config (defaults + file),
                                                              or the commented reference config
  evalpad selftest --config FILE [--json] [--yes] [--timeout D]
                                                              walk through every configured part: pass/fail report
  evalpad provision --central URL --code CODE [--data DIR] [--config FILE] [--device ID] [--ca FILE]
                                                              enroll with the central (device key, broker
                                                              credentials, receipt key, config), then selftest
  evalpad update --file FILE | --url URL --sha256 H --size N --vendor-key PUB [--slots DIR] [--data DIR] [--config FILE]
                                                              verify a signed firmware artifact, install it into
                                                              the inactive slot, switch to it on trial, restart
  evalpad boot --slots DIR [--boot-limit N] [--trial D] -- ARGS…
                                                              the service's command: count a trial's boots, roll
                                                              back a failed one, run the current slot's evalpad ARGS
  evalpad version                                             print the version
`

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var err error
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "evalpad", versionString())
		return exitOK
	case "sim":
		err = cmdSim(ctx, args[1:], stderr, log)
	case "run":
		err = cmdRun(ctx, args[1:], stderr, log)
	case "config":
		err = cmdConfig(args[1:], stdout, stderr)
	case "selftest":
		err = cmdSelftest(ctx, args[1:], os.Stdin, stdout, stderr, log)
	case "provision":
		err = cmdProvision(ctx, args[1:], os.Stdin, stdout, stderr, log)
	case "update":
		err = cmdUpdate(ctx, args[1:], stdout, stderr, updateStep)
	case "boot":
		stop() // the signals go to the agent, through the supervisor
		code, err := cmdBoot(ctx, args[1:], stderr, log)
		if err != nil {
			fmt.Fprintf(stderr, "evalpad: %v\n", err)
		}
		return code
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "evalpad: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	var ue usageError
	var se silentError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, agent.ErrRestart):
		fmt.Fprintf(stderr, "evalpad: %v\n", err)
		return firmware.ExitRestart
	case errors.As(err, &se):
		return exitError
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "evalpad: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "evalpad: %v\n", err)
	return exitError
}

type usageError struct{ error }

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}
