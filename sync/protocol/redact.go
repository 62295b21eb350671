package protocol

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted stands in a log or an error for a secret.
const Redacted = "xxxxx"

// RedactURL returns a broker URL (or a database address: a URL, a
// PostgreSQL keyword string, a file path) fit for a log line or an error:
// the password of its user info and the values of parameters named like a
// secret (password, token, secret, key …) are replaced by Redacted. A URL
// that does not parse is replaced whole: it may hold a secret where it
// cannot be found. Paths and URLs without secrets come back unchanged.
func RedactURL(s string) string {
	if !strings.Contains(s, "://") {
		return keywordSecrets.ReplaceAllString(s, "${1}"+Redacted)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable URL>"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	if q := u.Query(); u.RawQuery != "" {
		changed := false
		for k := range q {
			if secretName(k) {
				q.Set(k, Redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// keywordSecrets finds key=value pairs of secrets in a keyword string
// ("host=db password=… sslmode=require").
var keywordSecrets = regexp.MustCompile(`(?i)(\b(?:[a-z_]*password|passwd|pwd|[a-z_]*token|[a-z_]*secret|[a-z_]*key)\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+)`)

func secretName(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"pass", "pwd", "token", "secret", "key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
