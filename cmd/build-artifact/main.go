// Command build-artifact makes evalpad's signed firmware artifacts and the
// vendor keys that sign them (the format: firmware/doc.go). It is what
// scripts/build-artifact runs, after building the payload:
//
//	build-artifact --keygen DIR
//	build-artifact --key KEY --version V --arch ARCH --out FILE --payload FILE
//	               [--kind agent|rootfs] [--min-version V] [--store-format N]
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"evalpad/firmware"
	"evalpad/store"
)

const usage = `build-artifact: make a signed evalpad firmware artifact (format: firmware/doc.go)

usage:
  build-artifact --keygen DIR     write a new vendor key pair DIR/vendor.key (0600), DIR/vendor.pub;
                                  print its key id
  build-artifact --key KEY --version V --arch ARCH --out FILE --payload FILE
                 [--kind agent|rootfs] [--min-version V] [--store-format N]
                                  sign PAYLOAD as version V for ARCH into FILE; print what the
                                  update command needs (the file's size and sha256).
                                  --kind: agent (default) or rootfs; --min-version: the oldest
                                  version that may install it (default: any); --store-format: the
                                  store format the payload reads (default: this tree's store.Format)

  SOURCE_DATE_EPOCH, when set, is the manifest's "created" (reproducible builds).
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("build-artifact", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	keygen := fl.String("keygen", "", "")
	keyPath := fl.String("key", "", "")
	version := fl.String("version", "", "")
	arch := fl.String("arch", "", "")
	out := fl.String("out", "", "")
	payload := fl.String("payload", "", "")
	kind := fl.String("kind", firmware.KindAgent, "")
	minVersion := fl.String("min-version", "", "")
	// The store format of the evalpad in this tree, which the script builds.
	storeFormat := fl.Int("store-format", store.Format, "")
	if err := fl.Parse(args); err != nil || fl.NArg() != 0 {
		fmt.Fprint(stderr, usage)
		if err == nil {
			fmt.Fprintf(stderr, "build-artifact: unexpected %q\n", fl.Args())
		} else if err != flag.ErrHelp {
			fmt.Fprintln(stderr, "build-artifact:", err)
		}
		return 2
	}
	if *keygen != "" {
		id, err := firmware.GenerateVendorKey(*keygen)
		if err != nil {
			fmt.Fprintln(stderr, "build-artifact:", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s (private, 0600) and %s\nkey id %s\n",
			filepath.Join(*keygen, "vendor.key"), filepath.Join(*keygen, "vendor.pub"), id)
		return 0
	}
	if *keyPath == "" || *version == "" || *arch == "" || *out == "" || *payload == "" {
		fmt.Fprint(stderr, usage)
		fmt.Fprintln(stderr, "build-artifact: --key, --version, --arch, --out and --payload are required")
		return 2
	}
	created := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "build-artifact: SOURCE_DATE_EPOCH %q is not a number of seconds\n", s)
			return 2
		}
		created = time.Unix(n, 0).UTC()
	}
	m := firmware.Manifest{
		Version: *version, Arch: *arch, Kind: *kind, MinVersion: *minVersion,
		StoreFormat: *storeFormat, Created: created.Format(time.RFC3339),
	}
	if err := build(*keyPath, *payload, *out, m, stdout); err != nil {
		fmt.Fprintln(stderr, "build-artifact:", err)
		return 1
	}
	return 0
}

// build signs payload into out, through a temporary file renamed into
// place: a failed build leaves no artifact.
func build(keyPath, payloadPath, out string, m firmware.Manifest, stdout io.Writer) error {
	key, err := firmware.LoadVendorKey(keyPath)
	if err != nil {
		return err
	}
	p, err := os.Open(payloadPath)
	if err != nil {
		return err
	}
	defer p.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), ".build-artifact-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	sum := sha256.New()
	w := io.MultiWriter(tmp, sum)
	err = firmware.Build(w, key, m, p)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	got, err := firmware.ReadManifest(out)
	if err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s %s %s %s, payload %d bytes, key %s\nsize %d\nsha256 %s\n",
		out, got.Product, got.Version, got.Arch, got.Kind, got.Size, got.KeyID, st.Size(), hex.EncodeToString(sum.Sum(nil)))
	return nil
}
