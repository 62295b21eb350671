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
//   - the receipt key policy (receipts.go): receipt.key, or, in the
//     simulator only, the public development key;
//   - the faults (state.go): the one list the local state and the MQTT
//     status both report;
//   - the store's opening (store.go): a damaged file is salvaged and shown
//     as a fault while the pad keeps rating; a store whose unacked records
//     belong to another device id refuses to start.
//
// Extensions attach to a built agent and add routes (SimulatedParts puts
// agent/sim's simulated hardware and page on it this way); nothing else is
// patched in after New. Only cmd imports this package.
package agent
