// Package config is the pad's one TOML configuration file.
//
// Every field has a default ([Default]); a file only names what it changes.
// [Parse] starts from the defaults, decodes the file over them, rejects keys
// it does not know (names are case-sensitive), and validates the result, so
// an invalid file fails at start with an error that names the field:
//
//	config: rules.session_timeout: must be between 30s and 24h0m0s (got 5s)
//	config: unknown field "rules.walk_in"
//	config: rules.walkin (line 7): incompatible types: TOML value has type string; destination has type boolean
//	config: line 7, column 10: expected value but found "yes" instead (last key "rules.walkin")
//
// When several fields are wrong, the error holds one such line per field
// ([errors.Join]). [Load] adds the file's path after "config: ".
//
// The file, with every section (see example.toml, [Example], for all fields,
// their defaults and ranges):
//
//	device_id, area_code, hall, window,   who and where this pad is
//	channel, timezone, data_dir
//	[staff]    id, name, photo            staff on duty when no session names one
//	[api]      listen, token              the local HTTP API
//	[rules]    session_timeout,           how sessions and presses are handled
//	           reasons_timeout,
//	           thanks_duration,
//	           min_interval, walkin
//	[store]    outbox_max, retention      the record store
//	[[reasons.1]] code, text              差评 reasons for 1★ and 2★; a level
//	[[reasons.2]] code, text              given replaces that level's whole list
//
// Durations are strings in Go syntax ("90s", "10m", "1h30m") or whole days
// ("30d"); see [Duration].
package config
