package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// salvageSuffix names the file a salvage builds before it renames it over
// the store.
const salvageSuffix = ".salvage"

// Where a salvaged record was found, best first.
const (
	rankNewest = 0 // the tree of the meta bbolt would use
	rankOlder  = 1 // the tree of the other valid meta
	rankOrphan = 2 // a leaf page no tree reaches
)

// found is a readable record in the damaged file.
type found struct {
	off   int64  // where its JSON starts in the file
	n     int    // the JSON's length
	stamp uint64 // acked_at, unix ms, when acked
	acked bool
	rank  int
}

// salvage is what a damaged file still holds.
type salvage struct {
	f    *boltFile
	recs map[uint64]found
	bad  map[string]badValue // unreadable values in the newest tree, by bucket and key
	// state and quarantine come from the newest tree that has the bucket:
	// an older tree's session snapshot may be one a later record closed.
	state     map[string][]byte
	stateRank int
	quar      [][]byte
	quarRank  int
	outSeq    map[int]uint64 // each tree's outbox sequence
	done      pageSet        // pages read: a page two trees share is read once
	known     uint64         // the highest seq any source says was issued
	problems  []string       // what the tree of the newest valid meta showed
}

func newSalvage(f *boltFile) *salvage {
	return &salvage{f: f, recs: map[uint64]found{}, bad: map[string]badValue{}, state: map[string][]byte{},
		stateRank: -1, quarRank: -1, outSeq: map[int]uint64{}, done: newPageSet(f.pages())}
}

// collect reads the trees of both valid metas, then every leaf page.
func (s *salvage) collect() error {
	for rank, m := range s.f.byAge() {
		w := newWalker(s.f, m)
		w.bucket = func(name string, seq uint64) {
			switch name {
			case string(bOutbox):
				s.outSeq[rank] = seq
				s.known = max(s.known, seq)
			case string(bState):
				if s.stateRank < 0 {
					s.stateRank = rank
				}
			case string(bQuarantine):
				if s.quarRank < 0 {
					s.quarRank = rank
				}
			}
		}
		w.value = func(top string, k, v []byte, off int64) { s.value(rank, top, k, v, off) }
		w.skip = s.done
		w.walk(m.root)
		for i, b := range w.seen {
			s.done[i] |= b
		}
		if w.err != nil {
			return w.err
		}
		if rank == rankNewest {
			s.problems = w.report()
		}
	}
	return s.scanOrphans()
}

func (s *salvage) value(rank int, top string, k, v []byte, off int64) {
	switch top {
	case string(bOutbox):
		s.record(rank, bOutbox, k, v, off, nil)
	case string(bSent):
		if len(v) < 8 {
			if rank == rankNewest {
				s.badValue(bSent, k, v, "acked value shorter than its 8-byte stamp")
			}
			return
		}
		s.record(rank, bSent, k, v[8:], off+8, v[:8])
	case string(bState):
		if string(k) == string(kSeqLease) && len(v) == 8 {
			s.known = max(s.known, binary.BigEndian.Uint64(v))
		}
		if rank == s.stateRank {
			s.state[string(k)] = bytes.Clone(v)
		}
	case string(bQuarantine):
		if rank == s.quarRank {
			s.quar = append(s.quar, bytes.Clone(v))
		}
	}
}

// record takes the record JSON js stored under k (stamp: acked_at, nil while
// unacked) if it is readable. Acked beats unacked, then the better rank.
func (s *salvage) record(rank int, bucket, k, js []byte, off int64, stamp []byte) bool {
	if _, _, err := readRecord(k, js); err != nil {
		// Only the newest tree's: a page of the older tree may since have
		// been written over with other values.
		if rank == rankNewest {
			raw := js
			if stamp != nil {
				raw = slices.Concat(stamp, js)
			}
			s.badValue(bucket, k, raw, err.Error())
		}
		return false
	}
	seq := binary.BigEndian.Uint64(k)
	s.known = max(s.known, seq)
	cur, ok := s.recs[seq]
	acked := stamp != nil
	if !ok || (acked && !cur.acked) || (acked == cur.acked && rank < cur.rank) {
		f := found{off: off, n: len(js), acked: acked, rank: rank}
		if acked {
			f.stamp = binary.BigEndian.Uint64(stamp)
		}
		s.recs[seq] = f
	}
	return true
}

func (s *salvage) badValue(bucket, k, v []byte, why string) {
	id := string(bucket) + "\x00" + string(k)
	s.bad[id] = badValue{bucket: bucket, key: bytes.Clone(k), val: bytes.Clone(v), why: why}
	if len(k) == 8 {
		s.known = max(s.known, binary.BigEndian.Uint64(k))
	}
}

// scanOrphans reads every page of the file that no tree reached and looks
// like a leaf, and takes the records on it, in the outbox's form or sent's. Pages a tree no longer
// reaches still hold what the last commits wrote: the leaf of a commit whose
// meta page broke, the leaves under a broken branch page, older copies of a
// broken leaf.
func (s *salvage) scanOrphans() error {
	const chunk = 64
	ps, n := s.f.ps, s.f.pages()
	buf := make([]byte, chunk*ps)
	for id := uint64(2); id < n; id += chunk {
		c := min(chunk, n-id)
		b := buf[:int64(c)*ps]
		if err := s.f.readFull(b, int64(id)*ps); err != nil {
			return err
		}
		for j := range c {
			pid, p := id+j, b[int64(j)*ps:int64(j+1)*ps]
			if s.done.has(pid) || ne.Uint64(p) != pid || ne.Uint16(p[8:]) != flagLeaf {
				continue
			}
			if ov := uint64(ne.Uint32(p[12:])); ov > 0 {
				if pid+1+ov > n {
					continue
				}
				p = make([]byte, int64(1+ov)*ps)
				if err := s.f.readFull(p, int64(pid)*ps); err != nil {
					return err
				}
			}
			s.orphanLeaf(p, int64(pid)*ps, true)
		}
	}
	return nil
}

// orphanLeaf takes the records of a leaf page found by scanning, and of the
// inline buckets in it (a small outbox lives inline in the root page).
func (s *salvage) orphanLeaf(buf []byte, off int64, top bool) {
	n, _ := elems(buf)
	for i := range n {
		flags, k, v, voff, ok := leafElem(buf, i)
		switch {
		case !ok:
		case flags == flagBucket:
			if top && len(v) >= bucketHdrSize+pageHeaderSize && ne.Uint64(v) == 0 &&
				ne.Uint16(v[bucketHdrSize+8:]) == flagLeaf {
				s.orphanLeaf(v[bucketHdrSize:], off+int64(voff)+bucketHdrSize, false)
			}
		case flags == 0 && len(k) == 8:
			at := off + int64(voff)
			if !s.record(rankOrphan, bOutbox, k, v, at, nil) && len(v) > 8 {
				s.record(rankOrphan, bSent, k, v[8:], at+8, v[:8])
			}
		}
	}
}

// quarantined is the unreadable values to quarantine: those under a seq no
// readable copy was found for, in bucket and key order.
func (s *salvage) quarantined() []badValue {
	var out []badValue
	for _, id := range slices.Sorted(maps.Keys(s.bad)) {
		b := s.bad[id]
		if len(b.key) == 8 {
			if _, ok := s.recs[binary.BigEndian.Uint64(b.key)]; ok {
				continue
			}
		}
		out = append(out, b)
	}
	return out
}

// staleSession says whether the session snapshot kept is older than a
// salvaged record: the record may be the rating that closed that session,
// and restoring the session would let it be rated twice.
func (s *salvage) staleSession() bool {
	if _, ok := s.state[string(kSession)]; !ok {
		return false
	}
	last := s.outSeq[s.stateRank]
	for seq := range s.recs {
		if seq > last {
			return true
		}
	}
	return false
}

// build writes a new bbolt file at tmp holding the salvaged records under
// their seqs, the state, the quarantine with bad added, and the damage list;
// its outbox sequence is next-1 and its seq lease lease.
func (s *salvage) build(tmp string, bad []badValue, dropSession bool, list []Damage, next, lease uint64) (err error) {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	seqs := slices.Sorted(maps.Keys(s.recs))
	for len(seqs) > 0 { // in batches: a transaction holds its pages in memory
		batch := seqs[:min(len(seqs), 4096)]
		seqs = seqs[len(batch):]
		err := db.Update(func(tx *bolt.Tx) error {
			if err := createBuckets(tx); err != nil {
				return err
			}
			ob, sb := tx.Bucket(bOutbox), tx.Bucket(bSent)
			ob.FillPercent, sb.FillPercent = 1, 1 // keys only grow: pack leaves full
			for _, seq := range batch {
				f := s.recs[seq]
				val := make([]byte, 8+f.n)
				if err := s.f.readFull(val[8:], f.off); err != nil {
					return err
				}
				if !f.acked {
					if err := ob.Put(seqKey(seq), val[8:]); err != nil {
						return err
					}
					continue
				}
				binary.BigEndian.PutUint64(val, f.stamp)
				if err := sb.Put(seqKey(seq), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return db.Update(func(tx *bolt.Tx) error {
		if err := createBuckets(tx); err != nil {
			return err
		}
		st, qb := tx.Bucket(bState), tx.Bucket(bQuarantine)
		for _, k := range slices.Sorted(maps.Keys(s.state)) {
			if k == string(kDamage) || k == string(kSeqLease) || (k == string(kSession) && dropSession) {
				continue
			}
			if err := st.Put([]byte(k), s.state[k]); err != nil {
				return err
			}
		}
		vals := slices.Clone(s.quar)
		for _, b := range bad {
			vals = append(vals, Quarantined{Bucket: string(b.bucket), Key: b.key, Raw: b.val}.encode())
		}
		for _, v := range vals {
			n, err := qb.NextSequence()
			if err == nil {
				err = qb.Put(seqKey(n), v)
			}
			if err != nil {
				return err
			}
		}
		if err := tx.Bucket(bOutbox).SetSequence(next - 1); err != nil {
			return err
		}
		if err := st.Put(kSeqLease, seqKey(lease)); err != nil {
			return err
		}
		return putDamage(tx, list)
	})
}

// keepAside gives the damaged file f at path a second name, path.damaged-N,
// and makes it durable: a hard link where the file system has them (the same
// bytes, nothing copied), else a copy. A name that already holds this file
// (a salvage that was cut short) is used again.
func keepAside(path string, f *os.File) (string, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s.damaged-%d", path, n)
		st, err := os.Stat(name)
		if err == nil {
			same := os.SameFile(st, fi)
			if !same && st.Size() == fi.Size() {
				if same, err = sameBytes(name, f); err != nil {
					return "", err
				}
			}
			if same {
				return name, nil
			}
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		err = os.Link(path, name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil {
			return name, syncDir(name)
		}
		// No hard links here (a FAT card): copy it.
		err = replaceFile(name, func(w io.Writer) error {
			_, err := io.Copy(w, io.NewSectionReader(f, 0, fi.Size()))
			return err
		})
		return name, err
	}
}

func sameBytes(name string, f *os.File) (bool, error) {
	g, err := os.Open(name)
	if err != nil {
		return false, err
	}
	defer g.Close()
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	ra, rb := io.NewSectionReader(f, 0, 1<<62), io.Reader(g)
	for {
		na, erra := io.ReadFull(ra, a)
		nb, errb := io.ReadFull(rb, b)
		if !bytes.Equal(a[:na], b[:nb]) {
			return false, nil
		}
		eofa, eofb := isEOF(erra), isEOF(errb)
		switch {
		case erra != nil && !eofa:
			return false, erra
		case errb != nil && !eofb:
			return false, errb
		case eofa || eofb:
			return eofa == eofb, nil
		}
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) }
