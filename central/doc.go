// Package central is the reference central 好差评 receiver that cmd/evalhub
// runs: it enrolls pads, takes their records from the broker over a
// shared subscription, stores each id exactly once and only with a valid
// signature of its registered pad, acks it only after the commit with a
// signed ack, and serves the API and the figures.
//
//	technician: evalhub enroll --device ID ─▶ one-time code (its SHA-256 in enroll_codes)
//	pad ── POST /api/v1/enroll {code, device_id, public_key, …, sig} ──▶ Enroller
//	pad ◀── {central_public_key, broker, mqtt_username, mqtt_password, ca_pem,
//	         receipt_key_id, receipt_key, config} ─── devices row (key, $7$ hash)
//
//	pad ──up/records──▶ broker ──$share/GROUP/hcp/v1/+/up/records──▶ Hub (N workers)
//	                                                                 │ Parse: envelope, each record
//	                                                                 │ Check: registered key verifies
//	                                                                 │   sig; no central flag; at sane
//	                                                                 │ Store.Insert: one transaction,
//	                                                                 │   ON CONFLICT (id) DO NOTHING
//	pad ◀──down/ack {"ids":[…],"exp","sig"}── broker ◀── after COMMIT ┘
//
// The Hub meets the broker through a Bus: an MQTT client (the shared
// subscription above), or a NATS cluster whose nodes are the pads' MQTT
// brokers (natsBus: a JetStream stream of the records and one durable
// consumer per group, each message acked to JetStream only after its
// commit and its pad's ack; acks through NATS, the other downlinks
// through the nodes' MQTT listeners).
//
// Exactly once: the record id is the primary key, so a resend (the pad's ack
// timed out, the ack was lost or expired, the hub died between commit and
// ack) is stored once and acked again. A record that breaks protocol v1 or
// fails Check but has an id goes to the rejected table with the reason and
// is acked, so the pad stops sending it; one with no usable id cannot be
// acked and is logged. An id stored already for another device is refused
// the same way (Inserted.Refused).
//
// # Trust
//
// The central has an ed25519 key (trust.LoadOrGenerateKey, DATA/central.key).
// Pads register theirs at enrollment (Enroller: the request is signed with
// the key it carries, trust.EnrollDomain; the one-time code is unused,
// unexpired and for that device; a registered device keeps its key unless
// the code was made with NewKey). Each record's sig is checked against the
// registered key (trust.RecordDomain). Everything the central publishes on
// a pad's down/ topics is signed with trust.SignDown, bound to that topic
// and carrying "exp":
//
//	down/ack      {"ids":["<uuid>",…],"exp":"2026-11-25T03:03:12.123Z","sig":"…"}   exp now+1h
//	down/cmd      {"id":"<uuid>","cmd":"message","text":"…","exp":…,"sig":…}      exp now+1h (?ttl=)
//	down/session  {"session_id":"S-…","mode":…,"staff":…,"cases":[…],"exp","sig"}  exp now+10m (?ttl=)
//	down/config   {"id":"<uuid>","hall":…,"window":…,"exp","sig"}   retained, exp now+48h,
//	              signed again with a new id every 24h (Downlinks.RunResign)
//
// Each command and config has an id of its own (a session its session_id),
// so a pad that refuses ids seen twice refuses replays only; the answers
// on up/cmdresult are kept beside the message (downlinks table).
//
// The broker: Broker is the embedded mochi-mqtt broker evalhub runs with
// no --broker. It admits a registered pad with its user name (= device
// id), its password (checked against the $7$ hash, package passwd) and a
// client id bound to the user name, and the central's own user; anonymous
// clients are refused; CanPublish and CanRead are the ACL (a pad writes
// only its up/, reads only its down/; only the central writes down/ and
// reads up/, shared group included). WriteBrokerFiles writes the same
// users and rules for Mosquitto (password_file, acl_file).
//
// The API (API) needs a bearer token for every route that shows records
// or changes anything (Auth; roles supervisor and operator; only the
// token's SHA-256 is stored); bad tokens and codes are rate-limited per
// client (Limiter).
//
// Firmware: Publish verifies an artifact (package firmware) against the
// vendor keys and keeps it in the firmware store (DATA/firmware/<sha256>,
// table firmware); FirmwareFiles serves it at GET /firmware/<sha256> with
// Range. Rollouts (rollout.go) send a version to a hall, devices or a
// percentage of pads — canary first, then batches, halted when failures
// cross the bound — as signed update commands (Downlinks.SendCmd), and
// follow each pad through its up/status update reports (HubOptions.OnStatus)
// and up/cmdresult; tables rollouts and rollout_pads.
//
// Storage is the Store and Registry interfaces; SQLStore implements both on
// SQLite (modernc.org/sqlite, pure Go, the default) and PostgreSQL
// (jackc/pgx), tables in sqlstore.go, sqlregistry.go and sqlfirmware.go. Package
// central/server puts these together as evalhub runs them.
package central
