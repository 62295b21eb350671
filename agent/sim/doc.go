// Package sim is the simulated hardware of `evalpad sim`: star buttons and
// the reasons touch screen driven over HTTP, and a screen that remembers what
// it showed. Routes (no token: the simulator runs on a developer's machine):
//
//	POST /sim/press/{1..5}   press a star button → pad.Outcome
//	POST /sim/reasons        {"codes":["213",…]}: select exactly these, confirm
//	POST /sim/reason/{code}  toggle one reason (a touch on the reasons screen)
//	POST /sim/target         {"project_no":"…"}: pick a theme item ("" = all)
//	GET  /sim/records        every stored record, acked ones with acked_at
//	GET  /sim/screens        the screens shown, oldest first (last 200)
package sim
