package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// This file reads bbolt's on-disk format (go.etcd.io/bbolt v1.5.0,
// internal/common) by hand, with a bounds check on every read, so that a
// damaged file can be judged, and salvaged, without bbolt mapping it. bbolt
// itself trusts the file: a page id past the end of the file faults, a bad
// element offset reads the wrong memory, and with NoFreelistSync its open walks
// every page in a goroutine of its own, where a panic cannot be recovered.
//
//	page      id u64 ‖ flags u16 ‖ count u16 ‖ overflow u32 ‖ data…
//	meta      (page data) magic u32 ‖ version u32 ‖ page size u32 ‖ flags u32 ‖
//	          root bucket (root page u64 ‖ sequence u64) ‖ freelist u64 ‖
//	          high water mark u64 ‖ txid u64 ‖ checksum u64 (FNV-64a of the 56 before)
//	branch    count × (pos u32 ‖ ksize u32 ‖ child page u64), then keys
//	leaf      count × (flags u32 ‖ pos u32 ‖ ksize u32 ‖ vsize u32), then key ‖ value
//	          pairs; pos counts from the element's own first byte
//	bucket    a leaf value flagged 1: root page u64 ‖ sequence u64, then, when
//	          the root page is 0, the bucket's one leaf page inline
//	freelist  count × page id u64 (count 0xFFFF: the first u64 is the count)
//
// Integers are in the machine's byte order, as bbolt writes its structs.
const (
	boltMagic   = 0xED0CDAED
	boltVersion = 2

	pageHeaderSize = 16
	elemSize       = 16 // a branch and a leaf element are both 16 bytes
	metaEnd        = pageHeaderSize + 64
	bucketHdrSize  = 16

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	flagBucket   = 0x01 // on a leaf element

	noFreelist = ^uint64(0)
	maxKeySize = 32768
	maxDepth   = 64 // branch levels plus bucket nesting; bbolt trees are a few deep

	minPageSize = 1024
	maxPageSize = 64 << 10
)

var ne = binary.NativeEndian

// meta is one meta page's content.
type meta struct {
	pageSize uint32
	root     uint64 // the root bucket's root page
	freelist uint64
	hwm      uint64 // pages in use: every page id is below it
	txid     uint64
}

// parseMeta reads page id's meta from b, the page's first bytes, and says
// what is wrong with it ("" when nothing).
func parseMeta(b []byte, id uint64) (meta, string) {
	if len(b) < metaEnd {
		return meta{}, "cut short"
	}
	m := meta{
		pageSize: ne.Uint32(b[24:]),
		root:     ne.Uint64(b[32:]),
		freelist: ne.Uint64(b[48:]),
		hwm:      ne.Uint64(b[56:]),
		txid:     ne.Uint64(b[64:]),
	}
	h := fnv.New64a()
	h.Write(b[pageHeaderSize : metaEnd-8])
	switch {
	case ne.Uint32(b[16:]) != boltMagic:
		return m, "not a bbolt meta page (bad magic)"
	case ne.Uint32(b[20:]) != boltVersion:
		return m, fmt.Sprintf("bbolt format version %d, want %d", ne.Uint32(b[20:]), boltVersion)
	case ne.Uint64(b[72:]) != h.Sum64():
		return m, "bad checksum"
	case ne.Uint64(b) != id || ne.Uint16(b[8:]) != flagMeta:
		return m, fmt.Sprintf("page header says page %d, flags %#x", ne.Uint64(b), ne.Uint16(b[8:]))
	case m.pageSize < minPageSize || m.pageSize > maxPageSize || m.pageSize&(m.pageSize-1) != 0:
		return m, fmt.Sprintf("page size %d", m.pageSize)
	case m.hwm < 3 || m.root < 2 || m.root >= m.hwm:
		return m, fmt.Sprintf("root page %d, high water mark %d", m.root, m.hwm)
	case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.hwm):
		return m, fmt.Sprintf("freelist page %d, high water mark %d", m.freelist, m.hwm)
	}
	return m, ""
}

// boltFile is a bbolt file read through ReadAt, never mapped.
type boltFile struct {
	r    io.ReaderAt
	size int64
	ps   int64    // page size: the valid metas', else the OS's
	meta [2]*meta // nil where the meta page is unusable
	// problems are what is wrong at file level: its size, its meta pages.
	problems []string
}

// readBoltFile reads the meta pages of a file of size bytes. Damage goes to
// problems; the error is for I/O only.
func readBoltFile(r io.ReaderAt, size int64) (*boltFile, error) {
	f := &boltFile{r: r, size: size, ps: int64(os.Getpagesize())}
	if size == 0 {
		f.problems = append(f.problems, "zero-length file")
		return f, nil
	}
	var why [2]string
	b := make([]byte, metaEnd)
	why[0] = "cut short"
	if size >= metaEnd {
		if err := f.readFull(b, 0); err != nil {
			return nil, err
		}
		m0, why0 := parseMeta(b, 0)
		if why[0] = why0; why0 == "" {
			f.meta[0], f.ps = &m0, int64(m0.pageSize)
		}
	}
	// Without meta 0 the page size is unknown: look for meta 1 at each
	// possible size, as bbolt does.
	for ps := int64(minPageSize); ps <= maxPageSize && ps+metaEnd <= size; ps *= 2 {
		if f.meta[0] != nil && ps != f.ps {
			continue
		}
		if err := f.readFull(b, ps); err != nil {
			return nil, err
		}
		m1, why1 := parseMeta(b, 1)
		if why1 == "" && int64(m1.pageSize) != ps {
			why1 = fmt.Sprintf("page size %d, found at %d", m1.pageSize, ps)
		}
		if why1 == "" {
			f.meta[1], f.ps, why[1] = &m1, ps, ""
			break
		}
		if ps == f.ps {
			why[1] = why1
		}
	}
	if f.meta[1] == nil && why[1] == "" {
		why[1] = "beyond the end of the file"
	}
	if size < 2*f.ps {
		f.problems = append(f.problems, fmt.Sprintf("file is %d bytes, too short for a bbolt file", size))
	}
	for i, w := range why {
		if w != "" {
			f.problems = append(f.problems, fmt.Sprintf("meta page %d: %s", i, w))
		}
	}
	if m := f.newest(); m != nil && m.hwm > f.pages() {
		f.problems = append(f.problems, fmt.Sprintf("file is %d bytes, shorter than the %d pages of %d bytes its meta counts",
			size, m.hwm, f.ps))
	}
	return f, nil
}

// newest is the meta bbolt would use: the valid one with the higher txid.
func (f *boltFile) newest() *meta {
	m0, m1 := f.meta[0], f.meta[1]
	if m0 == nil || (m1 != nil && m1.txid > m0.txid) {
		return m1
	}
	return m0
}

// byAge lists the valid metas, newest first.
func (f *boltFile) byAge() []*meta {
	n := f.newest()
	out := []*meta{}
	if n != nil {
		out = append(out, n)
	}
	for _, m := range f.meta {
		if m != nil && m != n {
			out = append(out, m)
		}
	}
	return out
}

// pages is how many whole pages the file holds.
func (f *boltFile) pages() uint64 { return uint64(f.size / f.ps) }

func (f *boltFile) readFull(b []byte, off int64) error {
	if off < 0 || off+int64(len(b)) > f.size {
		return fmt.Errorf("store: read %d bytes at %d of a %d-byte file", len(b), off, f.size)
	}
	n, err := f.r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF // the file shrank under us
	}
	return fmt.Errorf("store: read the store file: %w", err)
}
