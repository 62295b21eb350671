// Package store keeps the pad's state in one bbolt file: the outbox of
// records waiting for the central's ack, the acked records kept for a
// retention period, and the open session. Every write is one transaction
// committed with fsync before the call returns, so a record the pad
// confirmed to a citizen survives a power cut.
//
// Layout (seq keys are big-endian uint64):
//
//	outbox/      seq → record JSON          unacked, oldest first; the bucket's
//	                                        own sequence is the last seq issued
//	sent/        seq → acked_at(8, unix ms) ‖ record JSON
//	state/       "session"   → open session snapshot (opaque to the store)
//	             "damage"    → JSON list of Damage, until ClearDamage
//	             "seq_lease" → 8 bytes: the seq mark as this file last wrote it
//	             "format"    → decimal ASCII: the file's format (absent: 1), see Format
//	             "seen:" kind ":" id → 8 bytes, unix ms: a downlink message
//	                           handled, refused if it comes again before then
//	                           (Seen, Remember; expired ones are dropped)
//	             other keys  → SetState's (the central's config…)
//	quarantine/  n → len(bucket) u8 ‖ bucket ‖ len(key) u16 ‖ key ‖ raw value
//	                                        values that were not readable records
//	index/       "digest" → count and sum of outbox's and sent's values,
//	                                        written with them: when it agrees with
//	                                        the file, Open decodes no record (index.go)
//
// A file from before has a photos/ bucket; Open drops it.
//
// # Format
//
// The file records its format (Format, 1 now). Open runs the migrations
// from the file's format to Format in its first transaction, so a migration
// that fails changes nothing, and refuses a file of a newer format with
// ErrNewerFormat before writing anything. A firmware update checks the new
// version's store format against FileFormat before it switches: no binary
// runs on a store it cannot read.
//
// # Signature
//
// With Options.Sign (the agent's device key), every record is signed as
// it is written: Append marshals the record with its seq and an empty
// "sig", hands those bytes to Sign inside the transaction that issued the
// seq, and stores the record with the signature in "sig". So the
// signature covers the record exactly as stored and sent, seq included,
// and a record is never stored unsigned: a signer that fails fails the
// append. Unacked records an older version stored unsigned are signed at
// Open, in its first transaction.
//
// Beside the file (for path evalpad.db):
//
//	evalpad.db.seq        the seq mark: "evalpad-seq <N> <crc32>", see below
//	evalpad.db.format     "evalpad-store-format <N>": the format as the last Open
//	                      left the file, for FileFormat while the agent holds it
//	evalpad.db.damaged-N  a damaged file kept aside, byte for byte, never deleted
//	evalpad.db.salvage    a salvaged file being built (only while repairing)
//
// # Seq
//
// The seq of a record comes from outbox's bucket sequence, bumped in the same
// transaction that writes the record: strictly increasing across restarts,
// never reused, and never pruned with the records. A damaged file can lose
// that sequence (zero length, a broken meta page, a rollback to the other
// meta page), so the mark file keeps a high-water mark outside it: "seqs up
// to N may have been issued". Writing it on every rating would double the
// fsyncs, so it is a lease: Append moves N a block (1024) past the next seq,
// with fsync, only when that seq would pass N, and before it commits. The
// file records the lease it last wrote ("seq_lease") in the same commit.
//
// On a sound open the mark equals the file's lease and seq goes on from the
// bucket sequence, with no gap. When the mark is ahead of the file's lease,
// the file is older than the one that last issued seqs (restored, replaced,
// missing: a new file), and seq goes on above the mark. After a salvage the
// new file's sequence starts above the mark and every seq found; with the
// mark missing or unreadable, a block above what was found. A missing mark
// beside a sound file is made again from the file.
//
// So a gap in seq means a repair: the seqs between the last record the
// central has and Damage.NextSeq may have been issued and lost with the
// damaged file, or never issued (the unused rest of a lease). The central
// tells them apart by the Damage the pad reports; the damaged file kept
// aside holds whatever could not be read. A file swapped for a copy made
// since the last lease extension is not detected: the mark cannot tell it
// from the file it copies without a write per rating.
//
// # Damage
//
// Open takes the file's lock first: a file another process holds is an
// error, never damage. Then, before bbolt maps the file, it checks it (see
// boltfile.go and walk.go): both meta pages (magic, version, page size,
// checksum), the file's length against the pages the meta counts, and the
// B+trees from the root with every page id, header, element offset and size,
// inline bucket, overflow run and key order checked, and no page reached
// twice. bbolt trusts all of these and, with NoFreelistSync, walks every page
// at open in a goroutine where a panic cannot be recovered. bbolt's open
// runs behind a recover all the same.
//
// A file that fails the check is salvaged: linked (else copied) aside as
// evalpad.db.damaged-N, then a new file is built at evalpad.db.salvage,
// synced, and renamed over evalpad.db, and the directory synced. A kill at
// any point leaves the damaged file in place (the next Open salvages it
// again, reusing the same damaged-N) or the new one. The new file carries
// every readable record under its original seq: a record is readable when
// its value decodes into rating.Record, its id is a UUID and its seq is the
// key. Records come from the trees of both valid meta pages, then from every
// leaf page no tree reaches (the leaf of a commit whose meta page broke, the
// leaves under a broken branch, older copies of a broken leaf). A record
// found both unacked and acked is acked. A copy from an unreached page may be
// a record already acked and pruned: it is sent again, and the central,
// which stores each id once, acks it again. The state keys come from the
// newest tree that has a state bucket; its session snapshot is dropped when
// a salvaged record is newer than that tree (the record may be the rating
// that closed the session: restoring it would let one session be rated
// twice). Unreadable values go to quarantine.
//
// A sound file with unreadable values in outbox or sent needs no salvage:
// Open moves them to quarantine in its first transaction and the other
// records open as usual. Every finding is a Damage, logged at Error level at
// each open and kept in the file until ClearDamage.
//
// # Flash wear
//
// A rating commit rewrites the meta page, the root page holding the bucket
// headers, and the outbox leaf (plus its branch pages when a backlog has
// grown the tree); one in 1024 also writes the seq mark. The freelist is not
// written (NoFreelistSync) and the file is read without readahead, so the
// kernel tracks it in 4 KiB folios and a commit dirties only the pages it
// writes; see README for the measured bytes per rating.
package store
