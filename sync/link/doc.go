// Package link is the pad's side of protocol v1 over MQTT (paho): it drains
// the store's outbox to the central and runs what the central sends down.
//
// Delivery: records leave oldest first, up to Options.Batch records in one
// up/records message and at most Options.InFlight messages waiting for the
// central's ack. A PUBACK from the broker is not delivery: a record leaves
// the outbox only when a down/ack names its id. When no ack comes within
// Options.AckTimeout, or the connection drops, the link sends again from the
// oldest unacked record; the central's dedupe by id makes that safe.
//
//	outbox ──Pending(cursor, Batch)──▶ up/records ──▶ broker ──▶ central
//	   ▲                                                        │ commit
//	   └──────────── Ack(ids) ◀── down/ack ◀── broker ◀─────────┘
//
// Connection: one paho client per connection, no paho auto-reconnect; the
// link reconnects itself with capped exponential backoff and jitter
// (Backoff). Session state is kept by the broker (clean session off) so
// acks and commands sent while the pad is away wait for it.
//
// Status: retained on up/status when the link connects, when the outbox
// changes (at most every Options.StatusMin) and every Options.StatusEvery;
// the Last Will is {"online":false}, retained.
//
// Downlink: down/session, down/config and down/cmd go to the Agent; each one
// with an id is answered on up/cmdresult, a malformed or unknown one with
// the reason; one with no id is logged. Nothing a message holds stops the link.
//
// Idle: with nothing to send the link waits on channels only; its one
// periodic wake-up is the status refresh (minutes).
//
// Time: the link reads the time and arms its timers (ack deadlines, status
// refresh, reconnect backoff, the connect and goodbye waits) only through
// Options.Clock, SystemClock by default. Tests use linktest.Clock, which
// moves only when they advance it. paho's own timers (keepalive, its
// connect and write timeouts, the disconnect quiesce) stay on real time.
package link
