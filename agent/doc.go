// Package agent puts the pad together: the store, the state machine, the
// screen, the local API, the receipt printer, the MQTT link and the
// drivers, built once by New for `evalpad run`, `evalpad sim` and
// `evalpad selftest` alike, and run by Run, which owns every goroutine.
//
//	                      ┌──────────── Agent ─────────────────────────────┐
//	buttons, touch ──────▶│ pad.Pad ──views──▶ screen.Screen ──frames──▶ panel
//	(hardware.Set)        │   │  ▲                                         │
//	local API (HTTP) ────▶│   │  │ OpenSession (+ staff photo), Pause, …    │
//	MQTT downlink ───────▶│   │  └── one path for the LAN and the central   │
//	(link.Agent)          │   ▼                                            │
//	                      │ store.Store ──outbox──▶ link.Link ──▶ broker    │
//	                      │ receipts ──ESC/POS──▶ printer                   │
//	                      │ State(): view, outbox, printer, faults ─▶ GET /api/v1/state, up/status
//	                      └────────────────────────────────────────────────┘
//
// What lives here and nowhere else:
//   - the central's config overlay (overlay.go): what down/config set is kept
//     as one accumulated message in the store and laid over the file's
//     config by one function, both when it applies live and at every start;
//     the file is a floor the central cannot lower (walk-in, min_interval);
//   - the receipt key policy (receipts.go): receipt.key under
//     receipt.key_id (which the identity sets), or, in the simulator only,
//     the public development key; tokens v2 good for 30 days; print_receipt
//     from the central only for a case the pad had in a session (cases.go);
//   - the device key (store.go): DATA/device.key, made at the first New,
//     signs every record as the store writes it;
//   - provisioning (provision.go) and the identity it keeps
//     (identity.go): enroll with the central over HTTPS with a one-time
//     code, keep DATA/identity.json (0600), lay it over the config file at
//     every start (Identity.Apply: the commands call it, so their flags
//     still win);
//   - the faults (state.go): the one list the local state and the MQTT
//     status both report;
//   - the store's opening (store.go): a damaged file is salvaged and shown
//     as a fault while the pad keeps rating; a store whose unacked records
//     belong to another device id refuses to start;
//   - firmware updates (update.go): Update for `evalpad update`, and the
//     central's update command (answered later: download into DATA/update
//     with progress on up/status, verify, install into the inactive slot,
//     switch, answer, restart with ErrRestart); a version on trial marks
//     itself good once healthy (the broker reached, when one is set) or
//     rolls back at update.trial; the update's status survives the restart
//     in DATA/update/status.json.
//
// Provisioning, once per pad (again to rotate its credentials):
//
//	evalpad provision                                  central
//	  device.key ──── EnrollRequest, signed with it ───▶ POST /api/v1/enroll
//	  identity.json ◀── its key, broker, MQTT user, receipt key ──┘
//	  store: central_config ◀── the pad's config
//	  selftest: keys, broker (Probe), panel, buttons, touch, printer
//
// Extensions attach to a built agent and add routes (SimulatedParts puts
// agent/sim's simulated hardware and page on it this way); nothing else is
// patched in after New. Only cmd imports this package.
package agent
