package link_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/sync/link"
	"evalpad/sync/mqtttest"
)

// writeCert writes a certificate (signed by parent, or self-signed) and its
// key as PEM files in dir and returns them.
func writeCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}

// TestTLSAndPassword: mutual TLS with a CA of the test's own, and a
// username and password, against Mosquitto configured to require both.
func TestTLSAndPassword(t *testing.T) {
	pw, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		t.Skip("mosquitto_passwd not installed")
	}
	dir := t.TempDir()
	now := time.Now()
	ca, caKey := writeCert(t, dir, "ca", &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evalpad test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}, nil, nil)
	writeCert(t, dir, "server", &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	writeCert(t, dir, "client", &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: dev},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	pwFile := filepath.Join(dir, "passwd")
	if out, err := exec.Command(pw, "-b", "-c", pwFile, dev, "s3cret-pass").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v %s", err, out)
	}
	f := func(n string) string { return filepath.Join(dir, n) }
	b := mqtttest.Start(t, "allow_anonymous false", "password_file "+pwFile,
		"cafile "+f("ca.crt"), "certfile "+f("server.crt"), "keyfile "+f("server.key"), "require_certificate true")
	url := strings.Replace(b.URL(), "tcp://", "ssl://", 1)
	base := link.Options{Broker: url, DeviceID: dev, CAFile: f("ca.crt"), CertFile: f("client.crt"), KeyFile: f("client.key"),
		Username: dev, Password: "s3cret-pass"}

	for _, tc := range []struct {
		name string
		edit func(o *link.Options)
		err  string
	}{
		{"ok", func(*link.Options) {}, ""},
		{"wrong password", func(o *link.Options) { o.Password = "nope" }, "connect"},
		{"no client certificate", func(o *link.Options) { o.CertFile, o.KeyFile = "", "" }, "connect"},
		{"broker not trusted", func(o *link.Options) { o.CAFile = f("client.crt") }, "certificate"},
		{"plain tcp to a TLS port", func(o *link.Options) { o.Broker = b.URL(); o.CAFile, o.CertFile, o.KeyFile = "", "", "" }, "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			l, err := link.New(o, newStore(t, 1), &agent{})
			if err != nil {
				t.Fatal(err)
			}
			err = l.Probe(context.Background())
			if tc.err == "" {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("connected, want refused")
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err %v, want %q", err, tc.err)
			}
		})
	}
}
