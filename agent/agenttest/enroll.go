// Package agenttest has helpers for tests of a whole pad: a fake central's
// enrollment endpoint.
package agenttest

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"

	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Enroller is a fake central's POST /api/v1/enroll: it takes one-time
// codes, checks the request as the central does (its fields, and its
// signature by the key it registers), and answers the broker, fresh
// credentials and receipt key at every enrollment, and Config.
type Enroller struct {
	Key    ed25519.PrivateKey // the central's
	Broker string
	CA     string           // PEM sent as ca_pem, "" none
	Config *protocol.Config // sent as the pad's config
	// OnEnroll, if set, is told each pad enrolled (to register its key
	// with a fake MQTT central).
	OnEnroll func(device string, pub ed25519.PublicKey)

	mu       sync.Mutex
	codes    map[string]string // code → the device it is for ("" any)
	requests []protocol.EnrollRequest
	bodies   [][]byte
	n        int
}

var _ http.Handler = (*Enroller)(nil)

// AddCode makes code good for one enrollment of device ("" any).
func (e *Enroller) AddCode(code, device string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.codes == nil {
		e.codes = map[string]string{}
	}
	e.codes[code] = device
}

// Requests are the enrollment requests received (valid or not, parsed),
// with their bodies as sent.
func (e *Enroller) Requests() ([]protocol.EnrollRequest, [][]byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.requests), slices.Clone(e.bodies)
}

// Password is the MQTT password of the n-th enrollment (1-based) of device.
func Password(n int, device string) string { return fmt.Sprintf("pw-%d-%s", n, device) }

func (e *Enroller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, format string, args ...any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
	}
	if r.Method != http.MethodPost || r.URL.Path != protocol.EnrollPath {
		fail(http.StatusNotFound, "no such route")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxEnrollBytes+1))
	if err != nil {
		fail(http.StatusBadRequest, "%v", err)
		return
	}
	req, err := protocol.ParseEnrollRequest(body)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests, e.bodies = append(e.requests, req), append(e.bodies, body)
	if err != nil {
		fail(http.StatusBadRequest, "%v", err)
		return
	}
	pub, err := trust.ParsePublicKey(req.PublicKey)
	if err == nil {
		err = trust.Verify(pub, trust.EnrollDomain, body)
	}
	if err != nil {
		fail(http.StatusForbidden, "signature: %v", err)
		return
	}
	dev, ok := e.codes[req.Code]
	if !ok || dev != "" && dev != req.DeviceID {
		fail(http.StatusForbidden, "code unknown, used, expired or for another device")
		return
	}
	delete(e.codes, req.Code)
	e.n++
	if e.OnEnroll != nil {
		e.OnEnroll(req.DeviceID, pub)
	}
	resp := protocol.EnrollResponse{V: 1, DeviceID: req.DeviceID, CentralKey: trust.EncodePublicKey(trust.Public(e.Key)),
		Broker: e.Broker, Username: req.DeviceID, Password: Password(e.n, req.DeviceID), CA: e.CA,
		ReceiptKeyID: fmt.Sprintf("k%d", e.n), ReceiptKey: fmt.Sprintf("receipt-key-%d-0123456789abcdef", e.n), Config: e.Config}
	w.Header().Set("Content-Type", "application/json")
	w.Write(resp.Marshal())
}
