// Package sim is the simulated hardware of `evalpad sim`: star buttons and
// the reasons touch screen driven over HTTP, a printer that draws its
// receipts as paper (Printer), a screen that remembers what it showed, and
// the simulator page. agent.SimulatedParts puts them on an agent. Routes
// (no token: the simulator runs on a developer's machine):
//
//	POST /sim/press/{1..5}   press a star button → pad.Outcome
//	POST /sim/reasons        {"codes":["213",…]}: select exactly these, confirm
//	POST /sim/reason/{code}  toggle one reason (a touch on the reasons screen)
//	POST /sim/target         {"project_no":"…"}: pick a theme item ("" = all)
//	GET  /sim/records        every stored record, acked ones with acked_at
//	GET  /sim/screens        the screens shown, oldest first (last 200)
//	GET  /sim/screen.png     the screen as the panel gets it
//	POST /sim/touch          {"x":…,"y":…}: a touch on the screen
//	GET  /sim/targets        the touch targets of the current screen
//	GET  /sim/events         server-sent events: state (view, outbox, faults), receipt
//	GET  /sim/receipts/latest.png, latest.bin   the last receipt printed
//	GET  /, /sim/info, /sim/web/…               the page and what it needs
//
// It imports nothing of package agent: the agent builds on it.
package sim
