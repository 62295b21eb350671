// Package central is the reference central 好差评 receiver that cmd/evalhub
// runs: it takes the pads' records from the broker over a shared
// subscription, validates them, stores each id exactly once, and acks only
// after the commit; it serves the read API and the figures.
//
//	pad ──up/records──▶ broker ──$share/evalhub/hcp/v1/+/up/records──▶ Hub (N workers)
//	                                                                   │ Parse: envelope, each record
//	                                                                   │ Store.Insert: one transaction,
//	                                                                   │   ON CONFLICT (id) DO NOTHING
//	pad ◀──down/ack {"ids":[…]}── broker ◀──── after COMMIT ───────────┘
//
// Exactly once: the record id is the primary key, so a resend (the pad's ack
// timed out, the ack was lost, the hub died between commit and ack) is
// stored once and acked again. A record that breaks protocol v1 but has an
// id goes to the rejected table and is acked, so the pad stops sending it;
// one with no usable id cannot be acked and is logged.
//
// Storage is the Store interface; SQLStore implements it on SQLite
// (modernc.org/sqlite, pure Go, the default) and PostgreSQL (jackc/pgx).
// Broker is the embedded mochi-mqtt broker evalhub runs with no --broker.
// Package central/server puts these together as evalhub runs them.
package central
