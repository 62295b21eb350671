package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// lockRetry is how often a locked store file is tried again.
const lockRetry = 50 * time.Millisecond

// lockStore opens the store file at path and takes its lock, waiting up to
// timeout; a file another process holds is an error, never damage. A missing
// file is created first as an empty bbolt file (created reports that). The
// file returned is locked and is the one at path.
func lockStore(path string, timeout time.Duration) (f *os.File, created bool, err error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			made, err := createStore(path)
			if err != nil {
				return nil, false, err
			}
			created = created || made
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("store: open %s: %w", path, err)
		}
		if err := private(f); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("store: %s: %w", path, err)
		}
		if err := flockWait(f.Fd(), deadline); err != nil {
			f.Close()
			if errors.Is(err, errLocked) {
				return nil, false, fmt.Errorf("store: %s is in use by another process: %w", path, bolt.ErrTimeout)
			}
			return nil, false, fmt.Errorf("store: lock %s: %w", path, err)
		}
		// A salvage by the process that held the lock may have renamed a new
		// file over the one opened: then lock that one.
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr == nil && perr == nil && os.SameFile(fi, pi) {
			noReadahead(f)
			return f, created, nil
		}
		f.Close()
		if ferr != nil {
			return nil, false, fmt.Errorf("store: %s: %w", path, ferr)
		}
	}
}

// private makes the open store file f 0600 if it is not: ratings are the
// pad's alone (a file copied in or made by an older version may be wider).
func private(f *os.File) error {
	fi, err := f.Stat()
	if err != nil || fi.Mode().Perm() == 0o600 {
		return err
	}
	return f.Chmod(0o600)
}

// createStore makes an empty bbolt file at path unless one exists (made false).
func createStore(path string) (made bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: create %s: %w", path, err)
	}
	// Lock it before bbolt writes its first pages, so no other opener sees it
	// empty; bbolt's Close unlocks and closes it.
	if err := flockWait(f.Fd(), time.Now()); err != nil {
		f.Close()
		return false, fmt.Errorf("store: create %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: lockRetry, NoFreelistSync: true, FreelistType: bolt.FreelistMapType,
		OpenFile: func(string, int, os.FileMode) (*os.File, error) { return f, nil },
	})
	if err == nil {
		err = db.Close()
	}
	if err == nil {
		err = syncDir(path)
	}
	if err != nil {
		return false, fmt.Errorf("store: create %s: %w", path, err)
	}
	return true, nil
}

// prefetch reads the first size bytes of f once, in 1 MiB requests from a
// few goroutines, and drops what it read: the page check beside it, which
// reads 4 KiB pages in tree order, then mostly finds them in the page
// cache. One page at a time from storage the check took 1.9 s of the
// 4.2 s an open of 200,000 records took (README "Store").
func prefetch(f *os.File, size int64) error {
	const chunk, readers = 1 << 20, 4
	errs := make(chan error, readers)
	for g := range int64(readers) {
		go func() {
			buf := make([]byte, chunk)
			for off := g * chunk; off < size; off += readers * chunk {
				if _, err := f.ReadAt(buf[:min(chunk, size-off)], off); err != nil && err != io.EOF {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range readers {
		if err := <-errs; first == nil {
			first = err
		}
	}
	return first
}

// boltPanic is bbolt panicking on a file the checker let through.
type boltPanic struct{ v any }

func (p boltPanic) Error() string { return fmt.Sprintf("bbolt panicked: %v", p.v) }

// openBolt lets bbolt open the locked file f. A panic (or a fault in the
// mapped file) comes back as a boltPanic, with f still open and locked.
func openBolt(f *os.File) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, boltPanic{r}
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return bolt.Open(f.Name(), 0o600, &bolt.Options{
		Timeout:        lockRetry, // f is locked already: bbolt's flock on it succeeds at once
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		OpenFile:       func(string, int, os.FileMode) (*os.File, error) { return f, nil },
	})
}

// prepare checks the locked store file f and returns it if bbolt may open
// it, with what the check gathered of its records (index.go); else it salvages it and
// returns the new file, locked, no digest, and the seq mark as it now is.
// forced is a problem found otherwise (bbolt panicked): it salvages
// whatever the check says. On error f is closed.
func prepare(path string, f *os.File, mk mark, forced string) (*os.File, *openScan, mark, error) {
	fail := func(err error) (*os.File, *openScan, mark, error) {
		f.Close()
		return nil, nil, mk, err
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("store: %s: %w", path, err))
	}
	bf, err := readBoltFile(f, fi.Size())
	if err != nil {
		return fail(err)
	}
	// The check reads every page in tree order, 4 KiB at a time: read the
	// file into the page cache meanwhile, in large requests, ahead of it.
	fetched := make(chan error, 1)
	go func() { fetched <- prefetch(f, fi.Size()) }()
	sc := newOpenScan(fi.Size())
	problems, err := bf.check(sc)
	if ferr := <-fetched; err == nil && ferr != nil {
		err = fmt.Errorf("store: read %s: %w", path, ferr)
	}
	if err != nil {
		return fail(err)
	}
	if forced != "" {
		problems = append(problems, forced)
	}
	if len(problems) == 0 {
		// What a salvage cut short left behind; the store is sound.
		if err := os.Remove(path + salvageSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(fmt.Errorf("store: %w", err))
		}
		return f, sc, mk, nil
	}
	nf, nmk, err := salvageFile(path, f, bf, problems, mk)
	if err != nil {
		return fail(fmt.Errorf("store: salvage %s: %w", path, err))
	}
	f.Close() // the damaged file, kept aside; this drops its lock
	return nf, nil, nmk, nil
}

// salvageFile keeps the damaged file aside, builds a new one from what it
// still holds and renames that over path. Each step is durable before the
// next, so a crash leaves either the damaged file at path (and the salvage
// is done again) or the new one; never an empty store.
func salvageFile(path string, f *os.File, bf *boltFile, problems []string, mk mark) (*os.File, mark, error) {
	s := newSalvage(bf)
	if err := s.collect(); err != nil {
		return nil, mk, err
	}
	for _, p := range s.problems { // the check walked the same tree
		if !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	if mk.bad != "" {
		problems = append(problems, fmt.Sprintf("seq mark %s: %s", markPath(path), mk.bad))
	}
	// Seqs up to the mark may have been issued; without a mark to trust,
	// a lease's worth past the highest seq found may have been.
	next := s.known + 1
	if mk.usable() {
		next = max(next, mk.n+1)
	} else {
		next += leaseBlock
	}
	lease := next - 1 + leaseBlock
	bad := s.quarantined()
	list, ok := readDamage(s.state[string(kDamage)])
	if !ok {
		bad = append(bad, badValue{bucket: bState, key: kDamage, val: s.state[string(kDamage)], why: "unreadable damage list"})
	}
	for i, b := range bad {
		if i == 8 {
			problems = append(problems, fmt.Sprintf("and %d more unreadable values", len(bad)-i))
			break
		}
		problems = append(problems, b.problem())
	}
	drop := s.staleSession()
	if drop {
		problems = append(problems, "session snapshot older than a salvaged record: dropped")
	}
	kept, err := keepAside(path, f)
	if err != nil {
		return nil, mk, err
	}
	list = append(list, Damage{Problem: joinProblems(problems), KeptAs: kept, Salvaged: len(s.recs), Quarantined: len(bad), NextSeq: next})
	tmp := path + salvageSuffix
	if err := s.build(tmp, bad, drop, list, next, lease); err != nil {
		os.Remove(tmp)
		return nil, mk, err
	}
	if err := writeMark(markPath(path), lease); err != nil {
		return nil, mk, err
	}
	nf, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return nil, mk, err
	}
	err = flockWait(nf.Fd(), time.Now())
	if err == nil {
		err = nf.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(path)
	}
	if err != nil {
		nf.Close()
		return nil, mk, err
	}
	noReadahead(nf)
	return nf, mark{n: lease, found: true}, nil
}
