// Command evalhub is the reference central 好差评 receiver: it takes the
// pads' records from an MQTT broker, stores each once (only with a valid
// signature of its registered pad), acks it after the commit with a signed
// ack, and serves the API, the enrollment route and the figures page.
//
//	evalhub [--broker URL[,URL…]] [--nats URL,…] [--mqtt-listen ADDR] [--listen ADDR] [--data DIR] [--db URL] …
//	evalhub enroll --device ID [--valid 24h] [--new-key] [--config FILE] [--data DIR | --db URL]
//	evalhub token --role supervisor|operator [--note TEXT] [--data DIR | --db URL]
//	evalhub broker-users --out DIR [--central-user NAME,…] [--data DIR | --db URL]
//	evalhub firmware publish FILE [--vendor-key PUB]… [--data DIR | --db URL]
//	evalhub firmware list
//	evalhub firmware rollout --version V [--arch A] (--hall H | --devices ID,… | --percent P) [--canary N] [--max-failures F] [--batch N] [--timeout D]
//	evalhub firmware status [ID] | halt ID [--reason TEXT]
//
// With no --broker it runs an embedded MQTT broker (mochi-mqtt) on
// --mqtt-listen, locked to the registered pads; with no --db it keeps
// SQLite in DATA/evalhub.db. See README.md here for the flags, the API and
// the figures. This is flags and wiring only: the central is put together
// by evalpad/central/server.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"evalpad/central"
	"evalpad/central/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var err error
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "enroll":
		err = enroll(ctx, args[1:], stdout, stderr)
	case "token":
		err = token(ctx, args[1:], stdout, stderr)
	case "revoke":
		err = revoke(ctx, args[1:], stdout, stderr)
	case "broker-users":
		err = brokerUsers(ctx, args[1:], stdout, stderr)
	case "firmware":
		err = firmwareCmd(ctx, args[1:], stdout, stderr)
	case "holidays":
		err = central.HolidaysCommand(args[1:], stdout)
	default:
		err = serve(ctx, args, stderr, log)
	}
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, "evalhub:", err)
		return 2
	}
	fmt.Fprintln(stderr, "evalhub:", err)
	return 1
}

type usageError struct{ error }

func defaultData() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "evalhub")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "evalhub")
	}
	return filepath.Join(os.TempDir(), "evalhub")
}

func serve(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("evalhub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	broker := fs.String("broker", "", "external MQTT broker, e.g. tcp://HOST:1883, or several, comma-separated, tried in turn (default: run an embedded broker on --mqtt-listen)")
	natsURLs := fs.String("nats", "", "NATS cluster to take the records from through JetStream, e.g. nats://n1:4222,nats://n2:4222 (then --broker is its nodes' MQTT listeners)")
	natsCreds := fs.String("nats-creds", "", "NATS credentials file (JWT and nkey); or user:password@ in the --nats URLs")
	natsReplicas := fs.Int("nats-replicas", 3, "replicas of the records stream made on the NATS cluster")
	mqttListen := fs.String("mqtt-listen", server.DefaultMQTTListen, "address of the embedded broker (only without --broker)")
	listen := fs.String("listen", server.DefaultListen, "address of the read API and the figures page")
	data := fs.String("data", defaultData(), "state directory (the SQLite database)")
	db := fs.String("db", "", "database: postgres://USER@HOST:5432/DB?… for PostgreSQL, or a SQLite file path (default DATA/evalhub.db)")
	group := fs.String("group", "", "shared subscription group: instances in one group split the records (default: a secret name kept in the database, shared by the instances on it)")
	workers := fs.Int("workers", 4, "goroutines storing records")
	user := fs.String("broker-user", "", "MQTT username (password from env EVALHUB_BROKER_PASSWORD)")
	ca := fs.String("broker-ca", "", "PEM CA file to verify the broker")
	cert := fs.String("broker-cert", "", "PEM client certificate")
	key := fs.String("broker-key", "", "PEM key of --broker-cert")
	holidays := fs.String("holidays", "", "override file of working days (lines \"YYYY-MM-DD work|off\"), for an arrangement newer than the built-in one")
	padsBroker := fs.String("pads-broker", "", "broker URL enrollment gives the pads, e.g. ssl://hub.example:8883 (default: the embedded broker's address, else --broker)")
	padsURL := fs.String("pads-url", "", "this evalhub's HTTP base URL as pads and phones reach it, e.g. https://hub.example: update commands send pads to URL/firmware/SHA256, receipts' QR codes lead to URL/rate (default: http:// and --listen, the host name when it listens on every interface)")
	exportMap := fs.String("export-map", "", "JSON file of the platform export's code map: {\"channels\":{\"pad\":\"4\",\"qr\":\"3\",…},\"default\":\"7\",\"reverse\":false} (default: the national codes)")
	pushURL := fs.String("push-url", "", "the platform's HTTP endpoint: new records are pushed to it every minute in the export's fields (default: no push)")
	thresholds := fs.String("suspicious-thresholds", "", "JSON file of the 可疑 list's thresholds, e.g. {\"burst_count\":8,\"alpha\":0.001} (default: those README lists)")
	padsCA := fs.String("pads-ca", "", "PEM CA of the broker's certificate, given to pads at enrollment (default --broker-ca)")
	alertURL := fs.String("alert-url", "", "webhook every 差评 alert is POSTed to, signed with EVALHUB_ALERT_SECRET (README \"差评处置 and alerts\")")
	alertN := fs.String("alert-threshold", "", "alert when N 差评 at one window fall within DURATION: N/DURATION, e.g. 3/30m (default: none)")
	if err := parse(fs, args); err != nil {
		return err
	}
	o := server.Options{AlertURL: *alertURL, AlertSecret: os.Getenv("EVALHUB_ALERT_SECRET"), AlertThreshold: *alertN,
		Hub: central.HubOptions{Broker: *broker, Group: *group, Workers: *workers, Username: *user,
			Password: os.Getenv("EVALHUB_BROKER_PASSWORD"), NATS: *natsURLs, NATSCreds: *natsCreds, NATSReplicas: *natsReplicas, Logger: log},
		MQTTListen: *mqttListen, Listen: *listen, DB: *db, Data: *data, Holidays: *holidays,
		PadsBroker: *padsBroker, PadsURL: *padsURL, PadsCA: cmp.Or(*padsCA, *ca), ExportMap: *exportMap, PushURL: *pushURL, Thresholds: *thresholds, Logger: log,
		BrokerCA: *ca, BrokerCert: *cert, BrokerKey: *key,
	}
	s, err := server.Start(ctx, o)
	if err != nil {
		return err
	}
	s.Announce(stderr)
	return s.Run(ctx)
}
