// Package localapi is the pad's HTTP API on the hall's LAN, for the
// counter's business system (综窗/叫号) and for technicians:
//
//	POST /api/v1/sessions   open a service session (JSON, see rating.Session)
//	GET  /api/v1/state      screen, open session, outbox, counters, faults
//	POST /api/v1/pause      show 暂停服务 (refused while a session waits)
//	POST /api/v1/resume     leave 暂停服务
//	POST /api/v1/receipts   print the case receipt (办件回执) of one case
//	GET  /api/v1/store      what opening the store found damaged, and the
//	                        values it could not read (quarantine)
//	POST /api/v1/store/clear-damage   a technician has seen the damage report
//
// Requests carry "Authorization: Bearer <token>" when the config sets a
// token. Errors are JSON {"error": "..."} with a 4xx/5xx status; a rejected
// request changes nothing. The handlers only translate: the rules live in
// package pad.
//
// # On the LAN
//
// The server listens on the hall's LAN, where a neighbour's machine and a web
// page open in any browser there can reach it. Guard checks every request
// before any route — this API's and the simulator's /sim/* alike — in this
// order, the first rule broken answering:
//
//	rule                                         refused with
//	1  a LAN client (remote IP; IPv6 by /64)     429 Too Many Requests,
//	   gets api.rate requests a second, api.burst    Retry-After: whole seconds
//	   at once (token buckets on the pad's clock);
//	   clients on the loopback are not limited
//	2  Host is loopback (127.0.0.0/8, ::1,       421 Misdirected Request
//	   localhost), api.listen's host, or one of
//	   api.hosts (port ignored)
//	3  a request with an Origin comes from the   403 Forbidden
//	   API's own origin (http://<Host>) or one
//	   of api.origins
//	4  a request with a body, or a Content-Type, 415 Unsupported Media Type
//	   says application/json
//	5  the bearer token, when api.token is set   401 Unauthorized
//
// Why each: (4) a web page can make the browser POST text/plain,
// multipart/form-data or a form without asking the pad first (a CORS
// "simple request"); JSON needs a preflight the pad never answers, so no
// cross-site page can open a session. (3) browsers send Origin on every
// cross-origin request and every POST, so a page elsewhere is refused even
// without a body. (2) DNS rebinding: a page on a name its author controls,
// re-pointed at the pad's address, is same-origin to itself and sends its
// own name as Host. (1) bounds what a client can do to the flash and the
// CPU, and token guessing. The config refuses an api.listen reachable from
// the LAN without api.token, so (5) is always there off the loopback. The
// simulator page is served by the same server and calls it with fetch and
// Content-Type: application/json from its own origin.
package localapi
