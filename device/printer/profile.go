package printer

import (
	"fmt"
	"slices"
	"strings"
)

// Profile is a printer dialect: how its status bits read and which
// characters it prints as text. The names are what config's
// printer.profile takes.
type Profile struct {
	Name string
	// Charset is what the printer prints as text in Chinese mode:
	// "gb18030" (every character, two- and four-byte) or "gb2312" (only
	// GB2312's two-byte area A1–FE A1–FE; bytes 80–A0 are single
	// characters to it). A receipt draws any other character into a raster
	// line (display/receipt).
	Charset string
	// Presenter: DLE EOT 4 bit 6 is "no paper at the presenter" (Citizen
	// presenter models), normal when no receipt waits, not the paper-end
	// sensor; only bit 5 is paper end.
	Presenter bool
	// BlackMark: DLE EOT 3 bit 2 is "black mark not found", not a
	// mechanical error.
	BlackMark bool
}

// Charsets of a Profile.
const (
	CharsetGB18030 = "gb18030"
	CharsetGB2312  = "gb2312"
)

// The profiles the pad knows, by name. Epson is the default: the ESC/POS
// reference, and what most Chinese-market printers copy.
var profiles = []Profile{
	{Name: "epson", Charset: CharsetGB18030},
	{Name: "citizen-presenter", Charset: CharsetGB18030, Presenter: true},
	{Name: "gb2312-only", Charset: CharsetGB2312},
	{Name: "black-mark", Charset: CharsetGB18030, BlackMark: true},
}

// DefaultProfile is the profile of a printer the config names none for.
const DefaultProfile = "epson"

// ProfileNames lists the known profile names, the default first.
func ProfileNames() []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.Name
	}
	return out
}

// ProfileByName returns the profile called name; "" is DefaultProfile.
func ProfileByName(name string) (Profile, error) {
	if name == "" {
		name = DefaultProfile
	}
	if i := slices.IndexFunc(profiles, func(p Profile) bool { return p.Name == name }); i >= 0 {
		return profiles[i], nil
	}
	return Profile{}, fmt.Errorf("printer: unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
}
