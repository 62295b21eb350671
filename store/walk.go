package store

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
)

// maxProblems is how many problems a walk lists before it only counts them.
const maxProblems = 16

// walker walks the B+trees under one meta page of a boltFile, checking every
// page it reaches: its id against the high water mark and the file's end, its
// header, each element's offset and size, the keys' order, and that no page
// is reached twice. What it cannot use it reports and steps over, so the same
// walk that judges a file also reads what a damaged one still holds.
type walker struct {
	f        *boltFile
	hwm      uint64
	seen     pageSet // the pages reached
	skip     pageSet // pages an earlier walk read: not read again
	problems []string
	more     int   // problems past maxProblems
	err      error // the first I/O error; the walk stops at it

	// value is called for each key/value (not bucket) directly inside a
	// top-level bucket; off is where v starts in the file.
	value func(top string, k, v []byte, off int64)
	// bucket is called for each top-level bucket with its sequence.
	bucket func(name string, seq uint64)
	// nested is called for each bucket directly inside a top-level bucket.
	nested func(top string, k []byte)

	bufs [][]byte // a page buffer per depth, reused: depth only grows down a path
}

// where is the bucket a page belongs to, for walking and for messages.
type where struct {
	path   string // "" for the root bucket, else "outbox", "outbox/sub"…
	level  int    // 0 root bucket, 1 a top-level bucket, 2+ nested
	inline bool   // the bucket's page is inline in its parent's value
}

func newWalker(f *boltFile, m *meta) *walker {
	n := min(m.hwm, f.pages())
	return &walker{f: f, hwm: m.hwm, seen: newPageSet(n)}
}

// pageSet is a set of page ids below the size it was made with.
type pageSet []uint64

func newPageSet(n uint64) pageSet { return make(pageSet, (n+63)/64) }

func (s pageSet) has(p uint64) bool { return p/64 < uint64(len(s)) && s[p/64]&(1<<(p%64)) != 0 }

func (s pageSet) add(p uint64) {
	if p/64 < uint64(len(s)) {
		s[p/64] |= 1 << (p % 64)
	}
}

func (w *walker) problem(format string, args ...any) {
	if len(w.problems) < maxProblems {
		w.problems = append(w.problems, fmt.Sprintf(format, args...))
	} else {
		w.more++
	}
}

// report is the walk's problems, the count of the unlisted ones last.
func (w *walker) report() []string {
	if w.more > 0 {
		return append(slices.Clone(w.problems), fmt.Sprintf("and %d more problems", w.more))
	}
	return w.problems
}

// walk walks the tree of the root bucket at page root.
func (w *walker) walk(root uint64) {
	w.tree(root, where{}, 0, nil, nil)
}

// readPage reads page id (with its overflow pages) if its header names it and
// has flags that ok accepts, and marks it reached; nil when it cannot be used.
// in names the bucket in messages, "" for none. The page is read into the
// buffer of depth: it stays valid until the next read at that depth.
func (w *walker) readPage(id uint64, depth int, ok func(flags uint16) bool, what, in string) []byte {
	if w.err != nil {
		return nil
	}
	problem := w.problem
	if in != "" {
		problem = func(format string, args ...any) { w.problem("%s: "+format, append([]any{in}, args...)...) }
	}
	if id < 2 || id >= w.hwm {
		problem("page %d: out of bounds (high water mark %d)", id, w.hwm)
		return nil
	}
	if id >= w.f.pages() {
		problem("page %d: beyond the end of the file", id)
		return nil
	}
	if w.skip.has(id) {
		return nil
	}
	for len(w.bufs) <= depth {
		w.bufs = append(w.bufs, make([]byte, w.f.ps))
	}
	buf := w.bufs[depth][:w.f.ps]
	if w.err = w.f.readFull(buf, int64(id)*w.f.ps); w.err != nil {
		return nil
	}
	if got := ne.Uint64(buf); got != id {
		problem("page %d: header says page %d", id, got)
		return nil
	}
	if flags := ne.Uint16(buf[8:]); !ok(flags) {
		problem("page %d: not a %s page (flags %#x)", id, what, flags)
		return nil
	}
	end := id + 1 + uint64(ne.Uint32(buf[12:]))
	if end > w.hwm || end > w.f.pages() {
		problem("page %d: %d overflow pages run past the high water mark or the file", id, end-id-1)
		return nil
	}
	for p := id; p < end; p++ {
		if w.seen.has(p) {
			problem("page %d: reached twice", p)
			return nil
		}
	}
	for p := id; p < end; p++ {
		w.seen.add(p)
	}
	if end > id+1 {
		buf = append(buf, make([]byte, int64(end-id-1)*w.f.ps)...)
		w.bufs[depth] = buf
		if w.err = w.f.readFull(buf[w.f.ps:], int64(id+1)*w.f.ps); w.err != nil {
			return nil
		}
	}
	return buf
}

func isNode(flags uint16) bool { return flags == flagBranch || flags == flagLeaf }

// tree walks the pages from id down, in bucket b, with every key in [lo, hi)
// (nil: unbounded). It returns the subtree's last key, nil if none was read.
func (w *walker) tree(id uint64, b where, depth int, lo, hi []byte) []byte {
	if depth > maxDepth {
		w.problem("page %d: more than %d levels deep", id, maxDepth)
		return nil
	}
	buf := w.readPage(id, depth, isNode, "branch or leaf", b.path)
	if buf == nil {
		return nil
	}
	name := "page " + strconv.FormatUint(id, 10)
	if b.path != "" {
		name = b.path + ": " + name
	}
	return w.node(buf, int64(id)*w.f.ps, name, b, depth, lo, hi)
}

// elems is how many elements a page in buf claims, cut to what fits.
func elems(buf []byte) (n int, fits bool) {
	n = int(ne.Uint16(buf[10:]))
	room := (len(buf) - pageHeaderSize) / elemSize
	return min(n, room), n <= room
}

// branchElem is element i of a branch page: its key and child page.
func branchElem(buf []byte, i int) (key []byte, child uint64, ok bool) {
	e := pageHeaderSize + i*elemSize
	pos, ksize := uint64(ne.Uint32(buf[e:])), uint64(ne.Uint32(buf[e+4:]))
	start := uint64(e) + pos
	if ksize == 0 || ksize > maxKeySize || start+ksize > uint64(len(buf)) {
		return nil, 0, false
	}
	return buf[start : start+ksize], ne.Uint64(buf[e+8:]), true
}

// leafElem is element i of a leaf page: flags, key, value and the value's
// offset in buf.
func leafElem(buf []byte, i int) (flags uint32, key, val []byte, voff int, ok bool) {
	e := pageHeaderSize + i*elemSize
	flags = ne.Uint32(buf[e:])
	pos, ksize, vsize := uint64(ne.Uint32(buf[e+4:])), uint64(ne.Uint32(buf[e+8:])), uint64(ne.Uint32(buf[e+12:]))
	start := uint64(e) + pos
	if ksize == 0 || ksize > maxKeySize || start+ksize+vsize > uint64(len(buf)) {
		return 0, nil, nil, 0, false
	}
	kend := start + ksize
	return flags, buf[start:kend], buf[kend : kend+vsize], int(kend), true
}

// node walks one page (or inline page) in buf, which starts at off in the
// file. name says which page it is in messages.
func (w *walker) node(buf []byte, off int64, name string, b where, depth int, lo, hi []byte) []byte {
	n, fits := elems(buf)
	if !fits {
		w.problem("%s: %d elements overrun the page", name, ne.Uint16(buf[10:]))
	}
	var last []byte
	prev := lo
	first := true
	// order checks key against the keys before it and the bound above.
	order := func(i int, key []byte) {
		if (first && prev != nil && bytes.Compare(key, prev) < 0) || (!first && bytes.Compare(key, prev) <= 0) ||
			(hi != nil && bytes.Compare(key, hi) >= 0) {
			w.problem("%s: key %d out of order", name, i)
		}
		first = false
	}
	switch ne.Uint16(buf[8:]) {
	case flagBranch:
		if b.inline || n == 0 {
			w.problem("%s: a branch page inline or empty", name)
			return nil
		}
		for i := 0; i < n && w.err == nil; i++ {
			key, child, ok := branchElem(buf, i)
			if !ok {
				w.problem("%s: element %d out of the page", name, i)
				continue
			}
			order(i, key)
			next := hi
			for j := i + 1; j < n; j++ {
				if k, _, ok := branchElem(buf, j); ok {
					next = k
					break
				}
			}
			prev = key
			if sub := w.tree(child, b, depth+1, key, next); sub != nil {
				// sub is in a deeper page buffer, which the next child reuses.
				last = append(last[:0], sub...)
				prev = last
			}
		}
	case flagLeaf:
		for i := 0; i < n && w.err == nil; i++ {
			flags, key, val, voff, ok := leafElem(buf, i)
			if !ok {
				w.problem("%s: element %d out of the page", name, i)
				continue
			}
			order(i, key)
			prev, last = key, key
			switch {
			case flags&^flagBucket != 0:
				w.problem("%s: element %d has flags %#x", name, i, flags)
			case flags == flagBucket:
				if b.level == 1 && w.nested != nil {
					w.nested(b.path, key)
				}
				w.child(key, val, off+int64(voff), b, depth)
			case b.level == 0:
				w.problem("%s: the root bucket holds a value under %q", name, key)
			case b.level == 1 && w.value != nil:
				w.value(b.path, key, val, off+int64(voff))
			}
		}
	default:
		w.problem("%s: not a branch or leaf page (flags %#x)", name, ne.Uint16(buf[8:]))
	}
	return last
}

// child walks the bucket stored under key in bucket parent.
func (w *walker) child(key, val []byte, off int64, parent where, depth int) {
	b := where{path: string(key), level: parent.level + 1}
	if parent.level > 0 {
		b.path = parent.path + "/" + string(key)
	}
	switch {
	case parent.inline:
		w.problem("bucket %q: an inline bucket holds a bucket", parent.path)
		return
	case len(val) < bucketHdrSize:
		w.problem("bucket %q: header cut short", b.path)
		return
	}
	root, seq := ne.Uint64(val), ne.Uint64(val[8:])
	if b.level == 1 && w.bucket != nil {
		w.bucket(b.path, seq)
	}
	if root != 0 {
		w.tree(root, b, depth+1, nil, nil)
		return
	}
	b.inline = true
	page := val[bucketHdrSize:]
	if len(page) < pageHeaderSize || ne.Uint16(page[8:]) != flagLeaf {
		w.problem("bucket %q: inline page is not a leaf", b.path)
		return
	}
	w.node(page, off+bucketHdrSize, fmt.Sprintf("bucket %q inline page", b.path), b, depth+1, nil, nil)
}

// freelist checks the freelist page bbolt reads when the meta names one: its
// ids are in bounds, sorted without repeats, and free pages are exactly the
// pages the trees do not reach (what bbolt's Check demands). Run it after walk.
func (w *walker) freelist(id uint64) {
	buf := w.readPage(id, 0, func(f uint16) bool { return f == flagFreelist }, "freelist", "")
	if buf == nil {
		return
	}
	n, start := uint64(ne.Uint16(buf[10:])), uint64(pageHeaderSize)
	if n == 0xFFFF && len(buf) >= pageHeaderSize+8 {
		n, start = ne.Uint64(buf[pageHeaderSize:]), pageHeaderSize+8
	}
	if n > (uint64(len(buf))-start)/8 {
		w.problem("page %d: %d free ids overrun the freelist page", id, n)
		return
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = ne.Uint64(buf[start+uint64(i)*8:])
	}
	slices.Sort(ids)
	free := make(map[uint64]bool, len(ids))
	for i, p := range ids {
		switch {
		case p < 2 || p >= w.hwm:
			w.problem("freelist page %d: free page %d out of bounds", id, p)
		case i > 0 && ids[i-1] == p:
			w.problem("freelist page %d: page %d freed twice", id, p)
		case w.seen.has(p):
			w.problem("freelist page %d: page %d both free and in use", id, p)
		}
		free[p] = true
	}
	for p := uint64(2); p < w.hwm; p++ {
		if !w.seen.has(p) && !free[p] {
			w.problem("page %d: neither free nor in use", p)
		}
	}
}

// check says what keeps bbolt from opening f safely, nothing when it may:
// the file-level problems, then those of the tree under the meta bbolt will
// use. With sc, it also gathers what Open needs of that tree's outbox and
// sent (index.go) into sc. The error is for I/O only.
func (f *boltFile) check(sc *openScan) ([]string, error) {
	if len(f.problems) > 0 {
		return f.problems, nil
	}
	m := f.newest()
	w := newWalker(f, m)
	if sc != nil {
		w.value = func(top string, k, v []byte, _ int64) { sc.value(top, k, v) }
		w.nested = func(top string, _ []byte) {
			if slot(top) >= 0 {
				sc.d.odd = true
			}
		}
	}
	w.walk(m.root)
	if w.err == nil && m.freelist != noFreelist {
		w.freelist(m.freelist)
	}
	return w.report(), w.err
}
