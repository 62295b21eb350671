package protocol

import (
	"fmt"
	"strings"
)

// Prefix is the first two levels of every protocol v1 topic.
const Prefix = "hcp/v1/"

// Topic suffixes: the part after hcp/v1/{device_id}/.
const (
	UpRecords   = "up/records"
	UpStatus    = "up/status"
	UpCmdResult = "up/cmdresult"
	DownAck     = "down/ack"
	DownSession = "down/session"
	DownConfig  = "down/config"
	DownCmd     = "down/cmd"
)

// Topic returns hcp/v1/{device}/{suffix}.
func Topic(device, suffix string) string { return Prefix + device + "/" + suffix }

// DownFilter is the subscription a pad needs: every down topic of device.
func DownFilter(device string) string { return Prefix + device + "/down/#" }

// SharedRecordsFilter is the central's shared subscription to every pad's
// records: the broker gives each message to one member of group.
func SharedRecordsFilter(group string) string {
	return "$share/" + group + "/" + Prefix + "+/" + UpRecords
}

// ParseTopic splits a protocol v1 topic into the device id and the suffix
// (one of the constants above). Unknown suffixes and bad device ids are errors.
func ParseTopic(topic string) (device, suffix string, err error) {
	rest, ok := strings.CutPrefix(topic, Prefix)
	if !ok {
		return "", "", fmt.Errorf("%w: topic %q: not under %s", ErrInvalid, topic, Prefix)
	}
	device, suffix, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", fmt.Errorf("%w: topic %q: no device id", ErrInvalid, topic)
	}
	if err := CheckDeviceID(device); err != nil {
		return "", "", fmt.Errorf("%w (topic %q)", err, topic)
	}
	switch suffix {
	case UpRecords, UpStatus, UpCmdResult, DownAck, DownSession, DownConfig, DownCmd:
		return device, suffix, nil
	}
	return device, suffix, fmt.Errorf("%w: topic %q: unknown message %q", ErrInvalid, topic, suffix)
}

// CheckDeviceID accepts 1..64 of A-Za-z0-9._- (the config's rule).
func CheckDeviceID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("%w: device_id: 1 to 64 characters, got %d", ErrInvalid, len(id))
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%w: device_id: %q has a character other than A-Za-z0-9._-", ErrInvalid, id)
		}
	}
	return nil
}
