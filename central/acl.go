package central

import (
	"fmt"
	"io"
	"strings"

	"evalpad/sync/protocol"
)

// The broker's access rules, the same for the embedded broker (its hooks
// ask CanPublish and CanRead) and for Mosquitto (WriteACL writes them as
// an acl_file):
//
//	who                  publishes                  subscribes and receives
//	pad (user = its id)  hcp/v1/<id>/up/…           hcp/v1/<id>/down/…
//	the central's user   hcp/v1/<any id>/down/…     hcp/v1/<id or +>/up/…, also as
//	                                                $share/<group>/hcp/v1/+/up/records
//	anyone else          nothing                    nothing (and cannot log in)
//
// A pad's client id is bound to its user name (Mosquitto:
// use_username_as_clientid; the embedded broker: the id must be the user
// name or "evalpad-" and the user name), so no client can take over
// another pad's session. The central's user names are not device ids
// (they hold a character device ids cannot, e.g. "$evalhub"), so no pad
// can be enrolled under one.

// DefaultCentralUser is the broker user name of the central.
const DefaultCentralUser = "$evalhub"

// CheckCentralUser accepts a name no device id can be: 1..64 printable
// ASCII without ':', '#', '+', '/' or a space, not a valid device id.
func CheckCentralUser(u string) error {
	if protocol.CheckDeviceID(u) == nil {
		return fmt.Errorf("central: broker user %q could be a device id: a central user name needs a character like $ or @", u)
	}
	if u == "" || len(u) > 64 || strings.ContainsAny(u, ":#+/ ") || !printable(u) {
		return fmt.Errorf("central: broker user %q: 1 to 64 printable characters, none of : # + / or space", u)
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// levels splits a topic or filter, false unless it is hcp/v1/<x>/<dir>/…
// with at least one level after dir.
func levels(topic string) (dev, dir string, ok bool) {
	p := strings.Split(topic, "/")
	if len(p) < 5 || p[0] != "hcp" || p[1] != "v1" || p[4] == "" {
		return "", "", false
	}
	return p[2], p[3], true
}

// CanPublish: may the client logged in as user (central says it is one
// of the central's users) publish on topic?
func CanPublish(user string, central bool, topic string) bool {
	if strings.ContainsAny(topic, "+#") {
		return false
	}
	dev, dir, ok := levels(topic)
	if !ok || protocol.CheckDeviceID(dev) != nil {
		return false
	}
	if central {
		return dir == "down"
	}
	return dir == "up" && dev == user
}

// CanRead: may the client logged in as user subscribe to filter (a
// subscription, $share/… included) or receive a message on it (a topic)?
func CanRead(user string, central bool, filter string) bool {
	if central {
		if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
			group, f, ok := strings.Cut(rest, "/")
			if !ok || group == "" {
				return false
			}
			filter = f
		}
		dev, dir, ok := levels(filter)
		return ok && dir == "up" && (dev == "+" || protocol.CheckDeviceID(dev) == nil)
	}
	dev, dir, ok := levels(filter)
	return ok && dir == "down" && dev == user
}

// WriteACL writes the Mosquitto acl_file of these rules for the central's
// users.
func WriteACL(w io.Writer, centralUsers []string) error {
	var b strings.Builder
	b.WriteString("# Written by evalhub broker-users: do not edit, run it again.\n")
	b.WriteString("# A pad (user name = its device id) writes only its up/ and reads only its down/.\n")
	b.WriteString("pattern write hcp/v1/%u/up/#\n")
	b.WriteString("pattern read hcp/v1/%u/down/#\n")
	for _, u := range centralUsers {
		if err := CheckCentralUser(u); err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n# The central: writes every pad's down/, reads every pad's up/ (and shares records in a group).\nuser %s\ntopic write hcp/v1/+/down/#\ntopic read hcp/v1/+/up/#\n", u)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
