// Package store keeps the pad's state in one bbolt file: the outbox of
// records waiting for the central's ack, the acked records kept for a
// retention period, and the open session. Every write is one transaction
// committed with fsync before the call returns, so a record the pad
// confirmed to a citizen survives a power cut.
//
// Layout (keys are big-endian uint64 seq numbers):
//
//	outbox/   seq → record JSON          unacked, oldest first; the bucket's
//	                                     own sequence is the last seq issued
//	sent/     seq → acked_at(8, unix ms) ‖ record JSON
//	state/    "session" → open session snapshot (opaque to the store)
//
// A file from before has a photos/ bucket (staff photos, never used); Open
// drops it.
//
// The seq of a record comes from outbox's bucket sequence, bumped in the same
// transaction that writes the record: strictly increasing across restarts,
// never reused, and never pruned with the records.
//
// Flash wear: a rating commit rewrites the meta page, the root page holding
// the bucket headers, and the outbox leaf (plus its branch pages when a
// backlog has grown the tree). The freelist is not written (NoFreelistSync)
// and the file is read without readahead, so the kernel tracks it in 4 KiB
// folios and a commit dirties only the pages it writes; see README for the
// measured bytes per rating.
package store
