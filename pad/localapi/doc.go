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
package localapi
