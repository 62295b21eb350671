// Package pad is the evaluator pad's state machine: the one place where the
// 好差评 rules meet input. Drivers (buttons, touch, the simulator) and the
// local API only translate what happens into calls on a *Pad; screens and
// the status only read its View.
//
//	           OpenSession                 Press 3–5★ ──commit──▶ thanks
//	idle ─────────────────────▶ rate ──────────────────────────────┐
//	 ▲  ▲                        │ Press 1–2★                       │
//	 │  │                        ▼                                  │
//	 │  │ session timeout     reasons ── Confirm / timeout ─commit─▶┤
//	 │  └─(unrated record)───────┘                                  │
//	 └──────────────────── thanks_duration ─────────────────────────┘
//	paused ⇄ (Pause / Resume, only with no session waiting)
//	fault: a commit failed (full disk, full outbox, I/O); retried until it lands
//
// Every record is committed to the store (fsync) before the screen turns to
// thanks; a failed commit leads to fault, never to thanks. Time comes from an
// injected Clock; nothing here reads the system clock.
package pad
