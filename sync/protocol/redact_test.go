package protocol

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"tcp://pad:s3cret-pw@broker.hall.lan:1883", "tcp://pad:xxxxx@broker.hall.lan:1883"},
		{"ssl://pad@broker:8883", "ssl://pad@broker:8883"},
		{"wss://broker/mqtt?token=s3cret-pw&x=1", "wss://broker/mqtt?token=xxxxx&x=1"},
		{"postgres://hub:s3cret-pw@db:5432/hcp?sslmode=disable", "postgres://hub:xxxxx@db:5432/hcp?sslmode=disable"},
		{"postgres://db/hcp?password=s3cret-pw&sslpassword=s3cret-pw", "postgres://db/hcp?password=xxxxx&sslpassword=xxxxx"},
		{"host=db user=hub password=s3cret-pw dbname=hcp", "host=db user=hub password=xxxxx dbname=hcp"},
		{"host=db password='s3cret pw' dbname=hcp", "host=db password=xxxxx dbname=hcp"},
		{"/var/lib/evalhub/evalhub.db", "/var/lib/evalhub/evalhub.db"},
		{"sqlite:/var/lib/evalhub/evalhub.db", "sqlite:/var/lib/evalhub/evalhub.db"},
		{"tcp://pad:s3cret-pw@bro ker:1883", "<unparsable URL>"},
		{"tcp://pad:s3cret%zz-pw@broker:1883", "<unparsable URL>"},
	} {
		got := RedactURL(tc.in)
		if got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) keeps the secret: %q", tc.in, got)
		}
	}
}
