package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Format is the on-disk format of the store this binary writes. A file
// records its format in state/"format" (a file without it is format 1).
// Formats only go forward: Open migrates an older file to Format, in one
// transaction with the rest of Open's first one, and refuses a newer file
// (ErrNewerFormat) without changing it. A firmware update must not install
// a binary whose format is older than the store's: firmware.Verify checks
// the artifact's store_format against FileFormat.
const Format = 1

// ErrNewerFormat: the store file was written by a newer binary, in a format
// this one cannot read. Open changes nothing and fails.
var ErrNewerFormat = errors.New("store: the store file has a newer format than this binary")

// migrations[i] turns a format i+1 file into format i+2 inside the
// transaction it is given. Format == len(migrations)+1.
var migrations = []func(tx *bolt.Tx) error{}

var kFormat = []byte("format")

// formatSuffix names the file beside the store that says its format, for
// readers that cannot open the store (FileFormat while the agent holds it).
const formatSuffix = ".format"

func formatPath(path string) string { return path + formatSuffix }

// readFormat is the format recorded in the state bucket st (nil: a new or
// pre-format file, format 1).
func readFormat(st *bolt.Bucket) (int, error) {
	if st == nil {
		return 1, nil
	}
	v := st.Get(kFormat)
	if v == nil {
		return 1, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("store: unreadable format %q", v)
	}
	return n, nil
}

// migrate brings the file in tx to format want with steps (steps[i]: format
// i+1 → i+2), or fails with ErrNewerFormat before writing anything.
func migrate(tx *bolt.Tx, want int, steps []func(tx *bolt.Tx) error) (from int, err error) {
	from, err = readFormat(tx.Bucket(bState))
	if err != nil {
		return from, err
	}
	if from > want {
		return from, fmt.Errorf("%w: the file is format %d, this binary writes format %d", ErrNewerFormat, from, want)
	}
	for f := from; f < want; f++ {
		if err := steps[f-1](tx); err != nil {
			return from, fmt.Errorf("store: migrate format %d to %d: %w", f, f+1, err)
		}
	}
	return from, nil
}

// putFormat records format f in the state bucket when it differs.
func putFormat(tx *bolt.Tx, f int) error {
	st := tx.Bucket(bState)
	v := []byte(strconv.Itoa(f))
	if bytes.Equal(st.Get(kFormat), v) {
		return nil
	}
	if err := st.Put(kFormat, v); err != nil {
		return fmt.Errorf("store: record the format: %w", err)
	}
	return nil
}

// writeFormatFile keeps path.format up to date with format f (written only
// when it says something else).
func writeFormatFile(path string, f int) error {
	want := "evalpad-store-format " + strconv.Itoa(f) + "\n"
	if b, err := os.ReadFile(formatPath(path)); err == nil && string(b) == want {
		return nil
	}
	err := replaceFile(formatPath(path), func(w io.Writer) error {
		_, err := io.WriteString(w, want)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: write %s: %w", formatPath(path), err)
	}
	return nil
}

// Format is the on-disk format of the open store (always store.Format
// once Open has succeeded).
func (s *Store) Format() int { return s.format }

// FileFormat reads the format of the store file at path without taking its
// write lock and without changing it: `evalpad update` runs beside a
// running agent that holds the file. A missing store is format 0 (a pad
// with no ratings yet: any format will do).
//
// It opens the file read-only (bbolt's shared lock) when no one holds it,
// after the same page checks Open makes. When the agent holds it, or the
// file is damaged (Open will salvage it), it reads path.format, which Open
// writes beside the store every time it opens one: the format of the file
// as the last Open left it; without that file, the store's holder is a
// binary from before formats, which wrote format 1.
func FileFormat(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	n, err := readFormatShared(f)
	f.Close()
	if err == nil {
		return n, nil
	}
	b, ferr := os.ReadFile(formatPath(path))
	if errors.Is(ferr, fs.ErrNotExist) {
		// Every binary that knows formats writes the file at Open: the
		// store is held by one from before, which wrote format 1.
		return 1, nil
	}
	if ferr != nil {
		return 0, fmt.Errorf("store: format of %s: %v; and %s: %w", path, err, formatPath(path), ferr)
	}
	s, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "evalpad-store-format ")
	n, cerr := strconv.Atoi(s)
	if !ok || cerr != nil || n < 1 {
		return 0, fmt.Errorf("store: format of %s: %v; and %s is unreadable: %q", path, err, formatPath(path), truncate(b, 40))
	}
	return n, nil
}

// readFormatShared reads the format from the file f through bbolt read-only,
// if the checks pass and no other process holds it.
func readFormatShared(f *os.File) (n int, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() == 0 {
		return 1, nil
	}
	bf, err := readBoltFile(f, fi.Size())
	if err != nil {
		return 0, err
	}
	problems, err := bf.check(nil)
	if err != nil {
		return 0, err
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("damaged: %s", joinProblems(problems))
	}
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, boltPanic{r}
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err := bolt.Open(f.Name(), 0o600, &bolt.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		n, err = readFormat(tx.Bucket(bState))
		return err
	})
	return n, err
}
