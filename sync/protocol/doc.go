// Package protocol is protocol v1 of the pad ↔ central MQTT link: the topics,
// the messages, and the parsing and validation of every payload that comes
// down to the pad (ack, session, config, cmd) and of the records that go up.
//
// Topics, all under one device:
//
//	hcp/v1/{device_id}/up/records     pad→central  QoS 1            {"v":1,"device_id":…,"records":[…]}
//	hcp/v1/{device_id}/up/status      pad→central  QoS 1, retained  Status; Last Will {"online":false}
//	hcp/v1/{device_id}/up/cmdresult   pad→central  QoS 1            {"id":…,"ok":bool,"error":…}
//	hcp/v1/{device_id}/down/ack       central→pad  QoS 1            {"ids":[…]}
//	hcp/v1/{device_id}/down/session   central→pad  QoS 1            a session, as the local API takes it
//	hcp/v1/{device_id}/down/config    central→pad  QoS 1, retained  Config
//	hcp/v1/{device_id}/down/cmd       central→pad  QoS 1            {"id":…,"cmd":…,…}
//
// A records message carries the outbox's records as they are stored, oldest
// first; a record is delivered only when a down/ack names its id.
//
// The messages that come down ignore members they do not know (a newer
// central may add some). A record going up is held to exactly protocol
// v1's members (shape.go): the central stores what it receives and serves
// it back, so a member nobody checked must not get in; a member is added
// to the central before any pad sends it.
//
// Every parser returns an error that wraps ErrInvalid (or ErrUnknownCmd) and
// names the field at fault, so the pad can answer it on up/cmdresult.
package protocol
