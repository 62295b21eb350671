// Package rating is the 好差评 domain of the pad: the five levels, the 差评
// reasons, service sessions as the counter's business system sends them, and
// the records the pad keeps and the central receives.
//
// It is pure: no I/O and no clock reads. Times and random bytes come in as
// arguments, so every rule can be tested as a table.
//
// A record on the wire and in the store (protocol v1, see DESIGN.md):
//
//	{"v":1, "id":"<UUIDv7>", "seq":1234, "kind":"rating"|"unrated",
//	 "device_id":…, "area_code":…, "hall":…, "window":…,
//	 "session_id":…, "mode":"single"|"batch"|"theme",
//	 "cases":[{"project_no":…,"task_code":…,"task_name":…}],
//	 "target":"",            // project_no of the one case rated, "" = all cases
//	 "staff":{"id":…,"name":…},
//	 "stars":1..5 (0 when unrated), "good":bool, "reasons":["213",…],
//	 "channel":"4", "opened_at":…, "at":…, "flags":[…], "sig":""}
package rating
