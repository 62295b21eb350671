// Package link is the pad's side of protocol v1 over MQTT (paho): it drains
// the store's outbox to the central and runs what the central sends down.
//
// Delivery: records leave oldest first, up to Options.Batch records and
// Options.MaxMessageBytes bytes in one up/records message (a record larger
// than that goes alone), and at most Options.InFlight messages waiting for
// the central's ack. A PUBACK from the broker is not delivery: a record leaves
// the outbox only when a down/ack names its id. When no ack comes within
// Options.AckTimeout, or the connection drops, the link sends again from the
// oldest unacked record; the central's dedupe by id makes that safe.
//
//	outbox ──Pending(cursor, Batch)──▶ up/records ──▶ broker ──▶ central
//	   ▲                                                        │ commit
//	   └──────────── Ack(ids) ◀── down/ack ◀── broker ◀─────────┘
//
// Message size: a broker drops the connection of a client that sends a
// packet over its limit (Mosquitto's max_packet_size), without a word. So
// when a connection drops while a records message waits for its PUBACK,
// the link halves its byte budget and keeps the budget an eighth under
// that message's size; each message the central acks grows it back by an
// eighth (sizer). A record sent alone that drops the connection three
// times is set aside: it stays in the outbox, unsent until the link starts
// again, the status names it in its faults, and the records behind it go.
//
// Connection: one paho client per connection, no paho auto-reconnect; the
// link reconnects itself with capped exponential backoff and jitter
// (Backoff). Each failed connect, and each connection that drops before
// Options.StableAfter, makes the next delay longer; one that stayed up
// that long starts again from the first. Session state is kept by the
// broker (clean session off) so acks and commands sent while the pad is
// away wait for it.
//
// Status: retained on up/status when the link connects, when the outbox
// changes (at most every Options.StatusMin) and every Options.StatusEvery;
// the Last Will is {"online":false}, retained.
//
// Downlink: down/session, down/config and down/cmd go to the Agent; each one
// with an id is answered on up/cmdresult, a malformed or unknown one with
// the reason; one with no id is logged. Nothing a message holds stops the link.
//
// Trust: any client of the broker can publish on a pad's down/ topics, so
// nothing in a downlink message acts before it verified with the
// central's key (Options.CentralKey, trust.VerifyDown): signed by the
// central under "evalpad-down-v1\n" + the topic it came on — so for this pad
// and this kind of message — and not expired (exp present, not passed on
// the link's clock, at most trust.MaxLifetime ahead). Without a central
// key the link refuses everything, saying the pad is not provisioned.
//
//	message ──topic for this pad?──▶ VerifyDown(central key, topic, exp)
//	   ──▶ ack: its ids go to the store
//	   ──▶ session / cmd / config: parse ──▶ id in Memory, not expired? refuse
//	         ──▶ Agent ──▶ Memory.Remember(kind:id, exp) ──▶ up/cmdresult
//
// A refused message (ErrRefused: unsigned, bad signature, another pad's or
// kind's topic, altered, expired, replayed) acts on nothing — a refused ack
// removes no record — and is answered on up/cmdresult with the reason when
// it has an id, logged in any case, counted in Counters.Refused.
//
// Replays: a session (session_id), command (id) or config (id, required)
// is handled once. Its kind and id are kept in Options.Memory (the store:
// across restarts) until the message's exp, whatever the Agent answered,
// so the central uses a new id to try again; an expired id is forgotten,
// and its message refused as expired anyway. An ack needs no id: acking
// records again does nothing. A retained down/config comes again at every
// connection and is answered as a replay: it applied already.
//
// Downlink acks: paho's auto-ack is off. The link sends the PUBACK of a
// downlink message only once it has handled it, in the order the messages
// came:
//
//	down/ack                     after the store committed its ids
//	down/session, config, cmd    after the Agent returned and the cmdresult
//	                             was handed to paho (paho writes it first)
//	malformed, unknown, no id    after it was logged and answered: it will
//	                             never become valid, so it is not kept
//
// A message the link did not handle is not acked, and with the persistent
// session the broker delivers it again on the next connection: one queued
// or arriving while the link stops (a stopping link starts no new message),
// one left when the connection drops, and one whose commit or cmdresult
// failed (the link then ends the connection to get it again). Every
// message after an unacked one on the same connection stays unacked too.
// So a message may come twice (handled, then the connection dropped
// before its PUBACK): QoS 1 is at least once, and the Agent has to take a
// session or command id it has seen as seen.
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
