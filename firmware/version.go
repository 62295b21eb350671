package firmware

import (
	"strconv"
	"strings"
)

// DevVersion is the version of a development build (cmd/evalpad's version
// when no -ldflags "-X main.version=…" set one). It compares lower than
// every release, so a pad running a development build accepts any artifact
// without a min_version and refuses those with one.
const DevVersion = "dev"

// ValidVersion reports whether v is a semantic version (SemVer 2.0.0):
// MAJOR.MINOR.PATCH, numbers without leading zeros, then an optional
// -prerelease (dot-separated identifiers of [0-9A-Za-z-], numeric ones
// without leading zeros) and an optional +build (ignored in ordering).
// A leading "v" is not part of it: the manifest's versions are bare.
func ValidVersion(v string) bool {
	_, ok := parseVersion(v)
	return ok
}

type semver struct {
	num [3]uint64
	pre []string
}

func parseVersion(v string) (semver, bool) {
	var s semver
	if len(v) > 128 {
		return s, false
	}
	if i := strings.IndexByte(v, '+'); i >= 0 {
		if !validIdents(v[i+1:], false) {
			return s, false
		}
		v = v[:i]
	}
	if i := strings.IndexByte(v, '-'); i >= 0 {
		if !validIdents(v[i+1:], true) {
			return s, false
		}
		s.pre = strings.Split(v[i+1:], ".")
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return s, false
	}
	for i, p := range parts {
		if !isNumeric(p) || (len(p) > 1 && p[0] == '0') {
			return s, false
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return s, false
		}
		s.num[i] = n
	}
	return s, true
}

// validIdents checks dot-separated identifiers; numeric ones may not have
// leading zeros when noLeadingZero (pre-release identifiers).
func validIdents(s string, noLeadingZero bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
		if noLeadingZero && isNumeric(id) && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CompareVersions orders two versions as SemVer 2.0.0 does: -1 when a is
// older than b, 0 when they rank the same (build metadata is ignored), +1
// when a is newer. A leading "v" is allowed on either (a pad built with
// VERSION=v1.2.3 is at 1.2.3). "dev", and anything else that is not a
// semantic version (a bare git hash), is a development build: older than
// every release, the same as any other development build.
func CompareVersions(a, b string) int {
	va, oka := parseVersion(strings.TrimPrefix(a, "v"))
	vb, okb := parseVersion(strings.TrimPrefix(b, "v"))
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return -1
	case !okb:
		return 1
	}
	for i := range va.num {
		if c := cmpUint(va.num[i], vb.num[i]); c != 0 {
			return c
		}
	}
	// A version without pre-release ranks above one with.
	switch {
	case len(va.pre) == 0 && len(vb.pre) == 0:
		return 0
	case len(va.pre) == 0:
		return 1
	case len(vb.pre) == 0:
		return -1
	}
	for i := 0; i < len(va.pre) && i < len(vb.pre); i++ {
		x, y := va.pre[i], vb.pre[i]
		nx, ny := isNumeric(x), isNumeric(y)
		switch {
		case nx && ny:
			// Compare numerically: no leading zeros, so longer is larger.
			if c := cmpInt(len(x), len(y)); c != 0 {
				return c
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		case nx:
			return -1 // numeric identifiers rank below alphanumeric ones
		case ny:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(va.pre), len(vb.pre))
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt(a, b int) int { return cmpUint(uint64(a), uint64(b)) }
