package server

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"evalpad/central"
)

// alerter builds the central's Alerter from the options: always (the page
// reads GET /api/v1/alerts), with the webhook when AlertURL is set (then
// AlertSecret signs it) and the threshold AlertThreshold "N/DURATION"
// (e.g. "3/30m": 3 差评 at one window within 30 minutes; "" none).
func alerter(o Options, st *central.SQLStore) (*central.Alerter, error) {
	al := &central.Alerter{Store: st, Logger: o.Logger}
	if o.AlertURL != "" {
		if u, err := url.Parse(o.AlertURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("server: alert URL %q: not an http(s) URL", o.AlertURL)
		}
		if o.AlertSecret == "" {
			return nil, fmt.Errorf("server: alert URL given without a secret to sign the webhook (EVALHUB_ALERT_SECRET)")
		}
		al.WebhookURL, al.Secret = o.AlertURL, []byte(o.AlertSecret)
	}
	if o.AlertThreshold != "" {
		n, d, ok := strings.Cut(o.AlertThreshold, "/")
		count, err := strconv.Atoi(n)
		within, derr := time.ParseDuration(d)
		if !ok || err != nil || derr != nil || count < 1 || within <= 0 {
			return nil, fmt.Errorf("server: alert threshold %q is not N/DURATION, e.g. 3/30m", o.AlertThreshold)
		}
		al.Threshold, al.Within = count, within
	}
	return al, nil
}
