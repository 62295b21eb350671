// Package server puts the reference central together, as cmd/evalhub runs
// it: the store, the embedded broker (when no external one is named), the
// hub, the time rule, the read API and the figures page on one HTTP
// listener.
//
//	Start(ctx, Options)                     opens and binds, starts nothing
//	  central.LoadOverrides(Holidays)       working-day overrides
//	  LoadKey(Data)                         the central's key, Data/central.key (made once)
//	  central.Open(DB | Data/evalhub.db)    SQLite or PostgreSQL, registry included
//	  store.Setting("group")                the shared group's secret name, unless Hub.Group
//	  central.StartBroker(MQTTListen)       only when Hub.Broker is "": locked to the registry,
//	                                        the central's user with a random password
//	  central.NewHub(Hub, store)            signs acks, checks records against the registry
//	  central.NewRollouts                   sends through the downlinks, fed by the hub's
//	                                        up/status and up/cmdresult
//	  net.Listen(Listen)                    POST /api/v1/enroll, the API (tokens), the page,
//	                                        GET /firmware/<sha256> (DATA/firmware, no token)
//	(*Server).Announce(w)                   the lines scripts and tests wait for
//	(*Server).Run(ctx)                      until ctx ends:
//	  ├─ Hub.Run                            records in, stored once, acked after commit
//	  ├─ TimeRule.Run, hourly               default 4★ for sessions not rated in time
//	  ├─ Downlinks.RunResign, daily         retained configs signed again before they expire
//	  ├─ Rollouts.Run, every 5 s and on     firmware rollouts: commands due, timeouts, halts
//	  │  each pad's outcome
//	  └─ http.Server.Serve                  /api/v1/…, / (the figures page)
//	  then shuts the HTTP server down, stops the hub and the rule, and
//	  closes the broker and the store.
//
// Admin (OpenAdmin) is the store and key for the commands run beside a
// central: evalhub enroll, token, broker-users, revoke and firmware
// (publish into DATA/firmware; rollouts made there are sent by the
// running central).
//
// Crash tests reach the hub's seam through Options.Hub.AfterCommit: it runs
// after each commit and before that commit's acks. The evalhub binary never
// sets it.
package server
