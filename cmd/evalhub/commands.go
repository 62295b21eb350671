package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"evalpad/central"
	"evalpad/central/server"
	"evalpad/sync/protocol"
)

// storeFlags are the flags every command beside the server takes.
func storeFlags(fs *flag.FlagSet) (data, db *string) {
	data = fs.String("data", defaultData(), "state directory (the central's key, the SQLite database)")
	db = fs.String("db", "", "database: postgres://… or a SQLite file path (default DATA/evalhub.db)")
	return data, db
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// enroll makes a one-time enrollment code for a device and prints it,
// with a QR code of it, the code alone on the last line.
func enroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "the pad's device id (required)")
	valid := fs.Duration("valid", central.DefaultCodeValid, "how long the code works")
	newKey := fs.Bool("new-key", false, "let the code register a new key for a device enrolled already (a replaced pad)")
	cfgFile := fs.String("config", "", "JSON file of the pad's config (protocol.Config: hall, window, staff…), set on it at enrollment")
	data, db := storeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *device == "" {
		return usageError{errors.New("enroll: --device is required")}
	}
	var cfg *protocol.Config
	if *cfgFile != "" {
		b, err := os.ReadFile(*cfgFile)
		if err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
		c, err := protocol.ParseConfig(b)
		if err != nil {
			return fmt.Errorf("enroll: %s: %w", *cfgFile, err)
		}
		cfg = &c
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	is, err := a.IssueCode(ctx, *device, *valid, *newKey, cfg, time.Now())
	if err != nil {
		return err
	}
	qr, err := qrcode.New(is.Code, qrcode.Medium)
	if err != nil {
		return err
	}
	state := "not enrolled yet"
	if d := is.Enrolled; d != nil {
		state = fmt.Sprintf("enrolled %s with key %s: this code renews its MQTT password", d.EnrolledAt.Format(time.DateOnly), d.Fingerprint)
		if is.NewKey {
			state += " and lets a NEW key replace that one"
		} else {
			state += " (same key only; --new-key for a replaced pad)"
		}
	}
	fmt.Fprintf(stdout, "device:       %s (%s)\ncentral key:  %s\nvalid until:  %s\n\n%s\n%s\n",
		is.Device, state, a.Fingerprint(), is.Expires.Local().Format("2006-01-02 15:04:05 MST"), qr.ToSmallString(false), is.Code)
	return nil
}

// revoke retires a device (a stolen or scrapped pad): its records are
// refused from now on, the embedded broker refuses its login, and
// broker-users leaves it out. A new enrollment code reinstates it.
func revoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "the pad's device id (required)")
	data, db := storeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *device == "" {
		return usageError{errors.New("revoke: --device is required")}
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Store.SetStatus(ctx, *device, central.DeviceRevoked); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	fmt.Fprintf(stdout, "device %s revoked: its records are refused and its broker login too (run evalhub broker-users again for Mosquitto)\n", *device)
	return nil
}

// token makes an API token and prints it alone on the last line.
func token(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "supervisor (reads records and figures), operator (also sends pads commands, sessions, configs), hall --hall H, department --window H/W…, staff --staff ID")
	scope := central.ScopeFlags(fs)
	note := fs.String("note", "", "who or what the token is for, kept beside its hash")
	data, db := storeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *role == "" {
		return usageError{fmt.Errorf("token: --role is required (%s)", strings.Join(central.Roles, " or "))}
	}
	sc, err := scope(*role)
	if err != nil {
		return err
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	tok, err := central.IssueScopedToken(ctx, a.Store, sc, *note, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "a %s token (shown once; only its hash is kept):\n%s\n", *role, tok)
	return nil
}

// brokerUsers writes Mosquitto's password file and ACL file.
func brokerUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalhub broker-users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for the files passwd and acl (required)")
	users := fs.String("central-user", central.DefaultCentralUser, "the central's broker user names, comma-separated: one per evalhub instance (Mosquitto binds client ids to user names); password from env EVALHUB_BROKER_PASSWORD")
	data, db := storeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{errors.New("broker-users: --out is required")}
	}
	pw := os.Getenv("EVALHUB_BROKER_PASSWORD")
	if pw == "" {
		return usageError{errors.New("broker-users: set env EVALHUB_BROKER_PASSWORD to the central's broker password")}
	}
	a, err := server.OpenAdmin(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	devs, err := a.Store.Devices(ctx)
	if err != nil {
		return err
	}
	n, err := central.WriteBrokerFiles(*out, devs, strings.Split(*users, ","), pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s/%s (%d pads, central users %s) and %s/%s; reload Mosquitto (SIGHUP) to use them\n",
		*out, central.PasswdFile, n, *users, *out, central.ACLFile)
	return nil
}
