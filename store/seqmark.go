package store

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// leaseBlock is how many seqs one extension of the seq lease covers: the mark
// file is written once per leaseBlock records, and a damaged store's next seq
// may jump by up to this much.
const leaseBlock = 1024

// The seq mark is a file beside the store, path + ".seq", one line:
//
//	evalpad-seq <N> <crc32 of "evalpad-seq <N>", 8 hex digits>
//
// "seqs up to N may have been issued". It is replaced whole (tmp, fsync,
// rename, fsync of the directory) and is written before any seq above the N
// it held is committed, so it survives a store file that rolled back, broke
// or went missing.
const markPrefix = "evalpad-seq "

func markPath(path string) string { return path + ".seq" }

// mark is what the seq mark file held at open.
type mark struct {
	n     uint64
	found bool
	bad   string // why it could not be read; "" when it could (or is missing)
}

func (m mark) usable() bool { return m.found && m.bad == "" }

func readMark(path string) mark {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return mark{}
	}
	if err != nil {
		return mark{found: true, bad: err.Error()}
	}
	f := strings.Fields(string(b))
	if len(f) == 3 && f[0]+" " == markPrefix && len(b) < 64 {
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err == nil && f[2] == fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(markPrefix+f[1]))) {
			return mark{n: n, found: true}
		}
	}
	return mark{found: true, bad: fmt.Sprintf("unreadable content %q", truncate(b, 40))}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func writeMark(path string, n uint64) error {
	line := markPrefix + strconv.FormatUint(n, 10)
	line += fmt.Sprintf(" %08x\n", crc32.ChecksumIEEE([]byte(line)))
	err := replaceFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, line)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: write the seq mark: %w", err)
	}
	return nil
}

// replaceFile puts what write writes at path crash-safely: written beside
// it (path.tmp), synced, renamed over it, and the directory synced.
func replaceFile(path string, write func(w io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = private(f) // a tmp left by a crash keeps its mode through O_TRUNC
	if err == nil {
		err = write(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(path)
}

// syncDir makes the directory entries of path's directory durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
