package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"
)

// # Index (fast open)
//
// Open must know the unacked ids (for Ack and to refuse a duplicate), the
// sessions a record names (SessionClosed), how many records are acked, and
// whether any unacked record is unsigned. Decoding every record for that
// took seconds at 200,000 records, so the file keeps a digest of what it
// holds, updated in the same transaction as every write to outbox and sent:
//
//	index/  "digest" → version u8 ‖ for outbox, then sent: count u64 ‖ sum u64
//
// sum is the sum (mod 2⁶⁴) over the bucket's values of crc32c(k‖v)<<32 |
// crc32(k‖v): order-free, so a put adds a term and a delete subtracts one.
// The index bucket is one small value, inline in the root page that every
// commit rewrites anyway: it costs no page of its own.
//
// Open's page check (walk.go) reads every value already; it computes the
// same digest from the file as it is, and reads each record's id and
// session id from its fixed layout (headOf) without decoding it. When the
// two digests agree, every record is byte for byte one this store wrote
// and found readable, and Open takes what the check read (openScan). When they differ (a file from before the index, one an older binary
// wrote to after a rollback, a value changed or planted behind the store's
// back, a salvaged file) Open decodes every record as it always did,
// quarantines what is unreadable, and writes the digest again. The format
// stays 1: an older binary ignores the index bucket, and what it writes
// makes the digest disagree, so the next Open scans.

var (
	bIndex  = []byte("index")
	kDigest = []byte("digest")
)

const digestVersion = 1

// digest is the count and the sum of the values of outbox ([0]) and sent ([1]).
type digest struct {
	n, sum [2]uint64
	odd    bool // something no digest describes (a nested bucket): never agrees
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// itemHash is one value's term in a digest sum.
func itemHash(k, v []byte) uint64 {
	c, i := crc32.Update(0, castagnoli, k), crc32.ChecksumIEEE(k)
	c, i = crc32.Update(c, castagnoli, v), crc32.Update(i, crc32.IEEETable, v)
	return uint64(c)<<32 | uint64(i)
}

// slot is the digest slot of a top-level bucket, -1 for the others.
func slot(bucket string) int {
	switch bucket {
	case string(bOutbox):
		return 0
	case string(bSent):
		return 1
	}
	return -1
}

func (d *digest) add(i int, k, v []byte) { d.n[i]++; d.sum[i] += itemHash(k, v) }
func (d *digest) del(i int, k, v []byte) { d.n[i]--; d.sum[i] -= itemHash(k, v) }

func (d *digest) equal(o *digest) bool {
	return d != nil && o != nil && !d.odd && !o.odd && d.n == o.n && d.sum == o.sum
}

func (d *digest) encode() []byte {
	b := make([]byte, 1, 33)
	b[0] = digestVersion
	for i := range 2 {
		b = binary.BigEndian.AppendUint64(b, d.n[i])
		b = binary.BigEndian.AppendUint64(b, d.sum[i])
	}
	return b
}

// readDigest is the digest tx's file keeps, nil when it has none it can read.
func readDigest(tx *bolt.Tx) *digest {
	b := tx.Bucket(bIndex)
	if b == nil {
		return nil
	}
	v := b.Get(kDigest)
	if len(v) != 33 || v[0] != digestVersion {
		return nil
	}
	d := &digest{}
	for i := range 2 {
		d.n[i] = binary.BigEndian.Uint64(v[1+16*i:])
		d.sum[i] = binary.BigEndian.Uint64(v[9+16*i:])
	}
	return d
}

// putDigest keeps d in tx's file.
func putDigest(tx *bolt.Tx, d *digest) error {
	b, err := tx.CreateBucketIfNotExists(bIndex)
	if err != nil {
		return err
	}
	return b.Put(kDigest, d.encode())
}

// digestOf computes the digest of the file in tx.
func digestOf(tx *bolt.Tx) (*digest, error) {
	d := &digest{}
	for i, name := range [][]byte{bOutbox, bSent} {
		err := tx.Bucket(name).ForEach(func(k, v []byte) error {
			if v == nil {
				d.odd = true
				return nil
			}
			d.add(i, k, v)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// change updates the digest kept in tx's file for the writes fn makes
// through its put and del (which write to the buckets as well). A file
// with no readable digest is left without: the next Open scans it.
type change struct {
	tx *bolt.Tx
	d  *digest
}

func newChange(tx *bolt.Tx) *change { return &change{tx: tx, d: readDigest(tx)} }

func (c *change) put(b *bolt.Bucket, name []byte, k, v []byte) error {
	if c.d != nil {
		if old := b.Get(k); old != nil {
			c.d.del(slot(string(name)), k, old)
		}
		c.d.add(slot(string(name)), k, v)
	}
	return b.Put(k, v)
}

// del deletes k, whose value is v, from b.
func (c *change) del(b *bolt.Bucket, name []byte, k, v []byte) error {
	if c.d != nil && v != nil {
		c.d.del(slot(string(name)), k, v)
	}
	return b.Delete(k)
}

func (c *change) commit() error {
	if c.d == nil {
		return nil
	}
	return putDigest(c.tx, c.d)
}

// openScan is what the page check gathers for Open from the tree bbolt
// will open: the digest of outbox and sent, and what Open needs of their
// records, read from their heads (headOf).
type openScan struct {
	d        digest
	pending  map[[16]byte]uint64 // unacked id → seq
	sessions map[string]struct{}
	sent     int
	unsigned []uint64 // seqs of unacked records without a sig
	bad      bool     // a record whose head could not be read: Open decodes them all
}

// newOpenScan sizes the maps for a file of size bytes, which holds a
// record per KiB or fewer: growing a map of 200,000 entries step by step
// took longer than filling it.
func newOpenScan(size int64) *openScan {
	n := int(min(size>>10, 1<<20))
	return &openScan{pending: make(map[[16]byte]uint64, n), sessions: make(map[string]struct{}, n)}
}

// value takes one value of top-level bucket top.
func (o *openScan) value(top string, k, v []byte) {
	i := slot(top)
	if i < 0 {
		return
	}
	o.d.add(i, k, v)
	if o.bad {
		return
	}
	if i == 1 {
		v = v[min(8, len(v)):]
	}
	h, ok := headOf(v)
	if !ok || len(k) != 8 {
		o.bad = true
		return
	}
	if h.session != "" {
		o.sessions[h.session] = struct{}{}
	}
	if i == 1 {
		o.sent++
		return
	}
	seq := binary.BigEndian.Uint64(k)
	o.pending[h.id] = seq
	if h.unsigned {
		o.unsigned = append(o.unsigned, seq)
	}
}

// head is what Open needs of a record.
type head struct {
	id       [16]byte
	session  string
	unsigned bool
}

var (
	recordPrefix = []byte(`{"v":1,"id":"`)
	sessionKey   = []byte(`,"session_id":"`)
	unsignedEnd  = []byte(`,"sig":""}`)
)

// headOf reads a record's id and session id from its fixed layout, as
// Store writes it (json.Marshal of rating.Record: "v" and "id" first, and
// "sig" last); a JSON string holds no bare quote, so the first
// `,"session_id":"` is the member. A record in another shape (written by
// another version) is decoded; ok is false when that fails too.
func headOf(v []byte) (h head, ok bool) {
	const idLen = 36
	if p := len(recordPrefix); bytes.HasPrefix(v, recordPrefix) && len(v) > p+idLen && v[p+idLen] == '"' {
		id, idOK := uuidBytes(v[p : p+idLen])
		if i := bytes.Index(v, sessionKey); idOK && i > 0 {
			rest := v[i+len(sessionKey):]
			if j := bytes.IndexByte(rest, '"'); j >= 0 && bytes.IndexByte(rest[:j], '\\') < 0 {
				return head{id: id, session: string(rest[:j]), unsigned: bytes.HasSuffix(v, unsignedEnd)}, true
			}
		}
	}
	var r struct {
		ID        string `json:"id"`
		SessionID string `json:"session_id"`
		Sig       string `json:"sig"`
	}
	if json.Unmarshal(v, &r) != nil {
		return head{}, false
	}
	id, err := parseID(r.ID)
	return head{id: id, session: r.SessionID, unsigned: r.Sig == ""}, err == nil
}

// uuidBytes reads a canonical UUID (8-4-4-4-12 hex digits) as parseID
// does, without allocating.
func uuidBytes(b []byte) (id [16]byte, ok bool) {
	if len(b) != 36 {
		return id, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if b[i] != '-' {
				return id, false
			}
			i++
			continue
		}
		hi, lo := unhex(b[i]), unhex(b[i+1])
		if hi > 15 || lo > 15 {
			return id, false
		}
		id[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return id, true
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}
