package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"evalpad/central"
	"evalpad/central/server"
	"evalpad/sync/protocol"
)

// firmwareCmd runs evalhub firmware publish|list|rollout|status|halt.
func firmwareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "publish":
		return publish(ctx, args[1:], stdout, stderr)
	case "list":
		return firmwareList(ctx, args[1:], stdout, stderr)
	case "rollout":
		return rollout(ctx, args[1:], stdout, stderr)
	case "status":
		return rolloutStatus(ctx, args[1:], stdout, stderr)
	case "halt":
		return halt(ctx, args[1:], stdout, stderr)
	}
	return usageError{errors.New("firmware: publish FILE | list | rollout --version V … | status [ID] | halt ID")}
}

// stringList is a repeated flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// positional parses args whose positional arguments may come before,
// between or after the flags, and returns those.
func positional(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseWithArg parses args that hold exactly one positional argument.
func parseWithArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	pos, err := positional(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageError{fmt.Errorf("%s: one %s is needed, got %d", fs.Name(), what, len(pos))}
	}
	return pos[0], nil
}

// publish verifies an artifact and adds it to the central's firmware
// store; the sha256 is alone on the last line.
func publish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub firmware publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys stringList
	fs.Var(&keys, "vendor-key", "vendor public key (vendor.pub) or a directory of *.pub the artifact must verify with; repeat for several (default DATA/vendor-keys)")
	data, db := storeFlags(fs)
	file, err := parseWithArg(fs, args, "artifact FILE")
	if err != nil {
		return err
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	k, err := a.VendorKeys(keys)
	if err != nil {
		return err
	}
	f, isNew, err := a.Publish(ctx, file, k, time.Now())
	if err != nil {
		return err
	}
	what := "published"
	if !isNew {
		what = "published already (unchanged)"
	}
	fmt.Fprintf(stdout, "%s: version %s, arch %s, kind %s, %d bytes, key %s; pads fetch it at /firmware/%s\n%s\n",
		what, f.Version, f.Arch, f.Kind, f.Size, f.KeyID, f.SHA256, f.SHA256)
	return nil
}

func firmwareList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub firmware list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data, db := storeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.Store.Firmwares(ctx, "")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tARCH\tKIND\tSIZE\tMIN VERSION\tPUBLISHED\tSHA256")
	for _, f := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", f.Version, f.Arch, f.Kind, f.Size, f.MinVersion, f.PublishedAt.Local().Format("2006-01-02 15:04"), f.SHA256)
	}
	return tw.Flush()
}

// rollout makes a rollout in the database; the running evalhub sends the
// commands. The rollout's id is alone on the last line.
func rollout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub firmware rollout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var spec central.RolloutSpec
	fs.StringVar(&spec.Version, "version", "", "the published version to roll out (required)")
	fs.StringVar(&spec.Arch, "arch", "", "its arch, when it is published for several")
	fs.StringVar(&spec.Kind, "kind", "", "agent or rootfs, when it is published as both")
	fs.StringVar(&spec.Hall, "hall", "", "the hall whose pads get it (the hall set on each pad, else the hall of its newest record)")
	devices := fs.String("devices", "", "the pads that get it, comma-separated device ids")
	fs.IntVar(&spec.Percent, "percent", 0, "a percentage of the hall's pads (or of all with no --hall), picked by a hash of the rollout id and device id; 100 for all")
	fs.IntVar(&spec.Canary, "canary", 0, "pads that get it first: the rest go only when every one reports good")
	mf := fs.Float64("max-failures", central.DefaultMaxFailures, "halt when failed pads (rolled back, failed, timed out) ÷ finished pads exceed this fraction")
	fs.IntVar(&spec.Batch, "batch", central.DefaultBatch, "after the canary, pads sent at a time; the next batch goes when this one has finished")
	timeout := fs.Duration("timeout", central.DefaultRolloutTimeout, "a pad with no outcome this long after its command is a failure (timed_out); also the command's lifetime")
	data, db := storeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if spec.Version == "" {
		return usageError{errors.New("firmware rollout: --version is required")}
	}
	n := 0
	if spec.Hall != "" {
		n++
	}
	if *devices != "" {
		n++
		for _, d := range strings.Split(*devices, ",") {
			if d = strings.TrimSpace(d); d != "" {
				spec.Devices = append(spec.Devices, d)
			}
		}
	}
	if n != 1 && spec.Percent == 0 {
		return usageError{errors.New("firmware rollout: one of --hall, --devices or --percent is required (--percent 100 for every pad)")}
	}
	spec.MaxFailures = mf
	spec.Timeout = protocol.Duration{Duration: *timeout}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := (&central.Rollouts{Store: a.Store}).Create(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rollout of %s (%s, %s) to %s: %d pads, %d canary first, then %d at a time; halts when more than %g of the finished fail\n",
		r.Version, r.Arch, r.Kind, r.Target, len(r.Pads), r.Canary, r.Batch, r.MaxFailures)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(stdout, "left out (another arch): %s\n", strings.Join(r.Skipped, ", "))
	}
	fmt.Fprintf(stdout, "the running evalhub sends the commands (within %v); follow it with evalhub firmware status ID or on the page\n%s\n", 5*time.Second, r.ID)
	return nil
}

// rolloutStatus prints the rollouts, or one with each pad.
func rolloutStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub firmware status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data, db := storeFlags(fs)
	pos, err := positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{fmt.Errorf("firmware status: at most one rollout ID, got %d", len(pos))}
	}
	id := ""
	if len(pos) == 1 {
		id = pos[0]
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	var list []central.Rollout
	if id != "" {
		r, err := a.Store.Rollout(ctx, id)
		if err != nil {
			return err
		}
		list = []central.Rollout{r}
	} else if list, err = a.Store.Rollouts(ctx, "", 20); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s", r.ID, r.Version, r.Arch, r.Target, r.State)
		if r.Reason != "" {
			fmt.Fprintf(tw, " (%s)", r.Reason)
		}
		for _, s := range central.PadStates {
			if n := r.Counts[s]; n > 0 {
				fmt.Fprintf(tw, "\t%s %d", s, n)
			}
		}
		fmt.Fprintln(tw)
		if id == "" {
			continue
		}
		for _, p := range r.Pads {
			c := ""
			if p.Canary {
				c = "canary"
			}
			prog := ""
			if p.Total > 0 {
				prog = fmt.Sprintf("%d/%d bytes", p.Bytes, p.Total)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p.DeviceID, c, p.State, prog, p.Error)
		}
	}
	return tw.Flush()
}

func halt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub firmware halt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reason := fs.String("reason", "", "why, kept with the rollout")
	data, db := storeFlags(fs)
	id, err := parseWithArg(fs, args, "rollout ID")
	if err != nil {
		return err
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	why := "halted by an operator"
	if *reason != "" {
		why += ": " + *reason
	}
	r, err := (&central.Rollouts{Store: a.Store}).Halt(ctx, id, why)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rollout %s halted: no more commands are sent (%d pads were sent one)\n", r.ID, len(r.Pads)-r.Counts[central.PadPending])
	return nil
}
