package agent

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"evalpad/agent/config"
	"evalpad/pad"
	"evalpad/store"
	"evalpad/sync/link"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// ProvisionOptions are the technician's side of a provisioning.
type ProvisionOptions struct {
	// Central is the central's base URL (https://host:port); the
	// enrollment goes to Central + protocol.EnrollPath.
	Central string
	// Code is the one-time enrollment code the central's operator gave.
	Code string
	// DeviceID is the pad's id; "" keeps the provisioned one, else the
	// config's.
	DeviceID string
	// CAFile is a PEM CA to verify the central's HTTPS certificate; "" =
	// the system's roots.
	CAFile string
	// Version is the pad's, sent to the central.
	Version string
	// Client makes the request; nil builds one from CAFile.
	Client *http.Client
	// Clock is the pad's clock (its time goes to the central); nil = the
	// system's.
	Clock pad.Clock
	// Say tells the technician each step as it goes.
	Say func(format string, args ...any)
}

// ErrEnrollRefused: the central refused the enrollment (the code, the
// key); nothing on the pad changed.
var ErrEnrollRefused = errors.New("agent: the central refused the enrollment")

// Provision enrolls the pad described by cfg (cfg.DataDir set) with the
// central and keeps what it answers, in one run a technician can repeat:
//
//  1. open the store (the pad must be stopped) and refuse a store whose
//     unacked records belong to another device id;
//  2. load the device key, or make it (DeviceKeyFile);
//  3. POST a protocol.EnrollRequest signed with it (trust.EnrollDomain):
//     the code, the device id, the public key, a hardware summary, the
//     version, the pad's clock;
//  4. check the answer: the same device id, the central's key, a broker,
//     credentials, a receipt key, a config that applies to this pad;
//  5. write DATA/broker-ca.pem (when sent) and DATA/identity.json (0600,
//     the directory 0700), and keep the answer's config as the central's
//     config (the overlay), replacing what the central set before.
//
// Nothing is written before the central answered well: a refused code
// (ErrEnrollRefused) or an unreachable central changes nothing, but for
// making the device key on a pad that had none (it signs the request). Run again with a new code it
// enrolls again and rotates the credentials; the store and its outbox are
// kept. It returns the identity; the caller runs the selftest.
func Provision(ctx context.Context, cfg config.Config, o ProvisionOptions) (*Identity, error) {
	say := o.Say
	if say == nil {
		say = func(string, ...any) {}
	}
	clock := o.Clock
	if clock == nil {
		clock = pad.SystemClock{}
	}
	dir := cfg.DataDir
	if dir == "" {
		return nil, errors.New("provision: no data directory")
	}
	base, err := url.Parse(o.Central)
	if err != nil || base.Host == "" || base.Scheme != "https" && base.Scheme != "http" {
		return nil, fmt.Errorf("provision: --central %q: want https://HOST[:PORT]", o.Central)
	}
	old, err := LoadIdentity(dir)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	device := o.DeviceID
	switch {
	case device != "":
	case old != nil:
		device = old.DeviceID
	default:
		device = cfg.DeviceID
	}
	if err := protocol.CheckDeviceID(device); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	say("data directory %s, device %s", dir, device)

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("provision: data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("provision: data directory: %w", err)
	}
	// An existing store is opened first: it must not be in use, and its
	// unacked records must be this device's. A new one is made only once
	// the central answered.
	var st *store.Store
	openStore := func() error {
		var err error
		if st, err = store.Open(filepath.Join(dir, StoreFile), store.Options{}); err != nil {
			return fmt.Errorf("provision: the store (stop evalpad first): %w", err)
		}
		return nil
	}
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, StoreFile)); err == nil {
		if err := openStore(); err != nil {
			return nil, err
		}
		if err := checkDeviceID(st, device); err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
	}

	key, created, err := LoadDeviceKey(dir)
	if err != nil {
		return nil, fmt.Errorf("provision: device key: %w", err)
	}
	made := "kept"
	if created {
		made = "made now"
	}
	devFP := trust.Fingerprint(trust.Public(key))
	say("device key %s (%s): %s", filepath.Join(dir, DeviceKeyFile), made, devFP)

	req := protocol.EnrollRequest{V: 1, Code: o.Code, DeviceID: device, PublicKey: trust.EncodePublicKey(trust.Public(key)),
		Hardware: hardwareSummary(cfg), Version: o.Version, At: clock.Now().Format(time.RFC3339)}
	if req.Version == "" {
		req.Version = "dev"
	}
	if req.Sig, err = trust.Sign(key, trust.EnrollDomain, req.Marshal()); err != nil {
		return nil, fmt.Errorf("provision: sign the request: %w", err)
	}
	endpoint := strings.TrimRight(o.Central, "/") + protocol.EnrollPath
	if base.Scheme == "http" {
		say("warning: %s is plain HTTP: the MQTT password and the receipt key cross the network in clear", o.Central)
	}
	say("enrolling at %s …", endpoint)
	t0 := clock.Now()
	resp, err := enroll(ctx, o, endpoint, req.Marshal())
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	centralKey, err := trust.ParsePublicKey(resp.CentralKey)
	if err != nil {
		return nil, fmt.Errorf("provision: the central's answer: central_public_key: %w", err)
	}
	say("enrolled in %v", clock.Now().Sub(t0).Round(time.Millisecond))
	centralFP := trust.Fingerprint(centralKey)
	say("compare with the central's page — device key %s, central key %s", devFP, centralFP)
	if old != nil && old.CentralKey != resp.CentralKey {
		say("warning: the central's key changed since the last provisioning (was %s)", fingerprintOf(old.CentralKey))
	}

	id := &Identity{V: 1, DeviceID: device, Central: o.Central, CentralKey: resp.CentralKey, Broker: resp.Broker,
		Username: resp.Username, Password: resp.Password, ReceiptKeyID: resp.ReceiptKeyID, ReceiptKey: resp.ReceiptKey,
		EnrolledAt: clock.Now().Format(time.RFC3339), dir: dir}
	if resp.CA != "" {
		id.CAFile = BrokerCAFile
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(resp.CA)) {
			return nil, fmt.Errorf("provision: the central's answer: ca_pem holds no PEM certificate")
		}
	}
	if err := id.check(); err != nil {
		return nil, fmt.Errorf("provision: the central's answer: %w", err)
	}
	var central protocol.Config
	if resp.Config != nil {
		central = *resp.Config
		central.ID = ""
		if _, err := overlay(cfg, central); err != nil {
			return nil, fmt.Errorf("provision: the central's config does not apply to this pad: %w", err)
		}
		if why := belowFloor(cfg, central); why != "" {
			say("warning: the central's config asks for less than the config file allows; the file's floor holds: %s", why)
		}
	}
	if err := writeIdentity(id, resp.CA); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	ca := "the system's roots"
	if id.CAFile != "" {
		ca = filepath.Join(dir, id.CAFile)
	}
	say("broker %s, user %s, CA %s", id.Broker, id.Username, ca)
	say("receipt key id %s", id.ReceiptKeyID)
	say("wrote %s (0600)", filepath.Join(dir, IdentityFile))
	if st == nil {
		if err := openStore(); err != nil {
			return nil, err
		}
	}
	stats, err := st.Stats()
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	if resp.Config != nil {
		if err := st.SetState(centralConfigKey, central.Marshal()); err != nil {
			return nil, fmt.Errorf("provision: keep the central's config: %w", err)
		}
		merged, _ := overlay(cfg, central) // checked above
		say("the central's config laid over the file's: hall %s, window %s, staff %s", merged.Hall, merged.Window, firstNonEmpty(merged.Staff.ID, "none"))
	}
	say("the store keeps its %d unacked and %d acked records (last seq %d)", stats.Pending, stats.Sent, stats.LastSeq)
	return id, nil
}

// enroll posts the request and parses the central's answer.
func enroll(ctx context.Context, o ProvisionOptions, endpoint string, body []byte) (protocol.EnrollResponse, error) {
	client := o.Client
	if client == nil {
		c, err := httpsClient(o.CAFile)
		if err != nil {
			return protocol.EnrollResponse{}, err
		}
		client = c
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return protocol.EnrollResponse{}, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hresp, err := client.Do(hreq)
	if err != nil {
		return protocol.EnrollResponse{}, fmt.Errorf("the central cannot be reached: %w", err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, protocol.MaxEnrollBytes+1))
	if err != nil {
		return protocol.EnrollResponse{}, fmt.Errorf("the central's answer: %w", err)
	}
	if hresp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		hint := ""
		switch hresp.StatusCode {
		case http.StatusForbidden:
			hint = " — the code is unknown, used, expired or for another device, or the signature failed: ask the central's operator for a new code"
		case http.StatusConflict:
			hint = " — the central has this device with another key: the operator must allow a new key for it"
		}
		return protocol.EnrollResponse{}, fmt.Errorf("%w: %s: %q%s; nothing on the pad was changed", ErrEnrollRefused, hresp.Status, msg, hint)
	}
	resp, err := protocol.ParseEnrollResponse(data)
	if err != nil {
		return resp, fmt.Errorf("the central's answer: %w", err)
	}
	return resp, nil
}

// httpsClient verifies the central with caFile ("" = the system's roots).
func httpsClient(caFile string) (*http.Client, error) {
	c, err := link.TLSConfig(caFile, "", "")
	if err != nil {
		return nil, fmt.Errorf("--ca: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = c
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// writeIdentity writes the CA (or removes an older one) and then the
// identity, each atomically, mode 0600.
func writeIdentity(id *Identity, caPEM string) error {
	caPath := filepath.Join(id.dir, BrokerCAFile)
	if caPEM != "" {
		if err := writeFileAtomic(caPath, []byte(caPEM), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", caPath, err)
		}
	}
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(id.dir, IdentityFile)
	if err := writeFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if caPEM == "" {
		if err := os.Remove(caPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the old %s: %w", caPath, err)
		}
	}
	return nil
}

// hardwareSummary tells the central what the pad is made of.
func hardwareSummary(cfg config.Config) map[string]string {
	printer := "none"
	if u, err := url.Parse(cfg.Printer.URI); err == nil && cfg.Printer.URI != "" {
		printer = u.Scheme
	}
	return map[string]string{
		"buttons": firstNonEmpty(cfg.Buttons.Driver, "none"), "panel": firstNonEmpty(cfg.Panel.Driver, "none"),
		"touch": map[bool]string{true: "evdev", false: "none"}[cfg.Touch.Path != ""], "printer": printer,
		"display": cfg.Display.Size, "paper": fmt.Sprint(cfg.Printer.Paper), "os": runtime.GOOS, "arch": runtime.GOARCH,
	}
}

func fingerprintOf(pub string) string {
	k, err := trust.ParsePublicKey(pub)
	if err != nil {
		return "unreadable"
	}
	return trust.Fingerprint(k)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
