package store_test

import (
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
	"evalpad/store"
	"evalpad/trust"

	bolt "go.etcd.io/bbolt"
)

var signKey = ed25519.NewKeyFromSeed([]byte("store test device key, 32 bytes!"))

func signer(key ed25519.PrivateKey) func([]byte) (string, error) {
	return func(rec []byte) (string, error) { return trust.Sign(key, trust.RecordDomain, rec) }
}

// Every record is signed as it is stored, seq included; the caller's
// record gets the sig with its seq. A failed signature writes nothing.
func TestSignHook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	fail := false
	s := open(t, path, store.Options{Sign: func(b []byte) (string, error) {
		if fail {
			return "", errors.New("no key")
		}
		if !strings.Contains(string(b), `"sig":""`) || !strings.Contains(string(b), `"seq":`) {
			t.Errorf("signed bytes without the seq or with a sig: %s", b)
		}
		return signer(signKey)(b)
	}})
	r1, r2 := rec(1, "S-1"), rec(2, "S-2")
	must(t, s.AppendAll([]*rating.Record{r1, r2}, nil))
	pend := mustPending(t, s)
	if len(pend) != 2 {
		t.Fatalf("pending %d", len(pend))
	}
	for i, e := range pend {
		if err := trust.Verify(trust.Public(signKey), trust.RecordDomain, e.JSON); err != nil {
			t.Errorf("record %d: %v: %s", i, err, e.JSON)
		}
		got := decode(t, e.JSON)
		if want := []*rating.Record{r1, r2}[i]; got.Sig != want.Sig || got.Seq != want.Seq || want.Sig == "" {
			t.Errorf("record %d: stored sig %q seq %d, the caller's %q %d", i, got.Sig, got.Seq, want.Sig, want.Seq)
		}
		// The seq is covered: the same record under another seq does not verify.
		moved := strings.Replace(string(e.JSON), `"seq":`+strconv.FormatUint(got.Seq, 10), `"seq":`+strconv.FormatUint(got.Seq+100, 10), 1)
		if err := trust.Verify(trust.Public(signKey), trust.RecordDomain, []byte(moved)); !errors.Is(err, trust.ErrBadSignature) {
			t.Errorf("record %d verifies under another seq: %v", i, err)
		}
	}
	fail = true
	r3 := rec(3, "S-3")
	if err := s.Append(r3, nil); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Fatalf("append with a failing signer: %v", err)
	}
	if st, _ := s.Stats(); st.Pending != 2 || st.LastSeq != 2 || r3.Seq != 0 || r3.Sig != "" {
		t.Errorf("a failed signature wrote something: %+v, record seq %d sig %q", st, r3.Seq, r3.Sig)
	}
}

// Unacked records an older version wrote unsigned are signed at the next
// open with a signer, as they were; acked ones stay as they are.
func TestSignUnsignedAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := store.Open(path, store.Options{})
	must(t, err)
	for i := 1; i <= 3; i++ {
		must(t, s.Append(rec(i, "S-"+strconv.Itoa(i)), nil))
	}
	before := mustPending(t, s)
	_, err = s.Ack([]string{before[0].ID}, t0)
	must(t, err)
	closeChecked(t, s)

	s = open(t, path, store.Options{Sign: signer(signKey)})
	pend := mustPending(t, s)
	if len(pend) != 2 {
		t.Fatalf("pending %d", len(pend))
	}
	for i, e := range pend {
		if err := trust.Verify(trust.Public(signKey), trust.RecordDomain, e.JSON); err != nil {
			t.Errorf("unacked record %d not signed at open: %v", i, err)
		}
		got, was := decode(t, e.JSON), decode(t, before[i+1].JSON)
		got.Sig = ""
		if !reflect.DeepEqual(got, was) {
			t.Errorf("signing changed the record:\n%+v\n%+v", got, was)
		}
	}
	must(t, s.Records(func(e store.Entry) error {
		if !e.AckedAt.IsZero() && decode(t, e.JSON).Sig != "" {
			t.Errorf("an acked record was signed")
		}
		return nil
	}))
}

// The replay memory: a key is seen until its expiry, across a reopen, and
// Remember forgets the keys that expired; the state keys are the store's.
func TestSeenRemember(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := store.Open(path, store.Options{})
	must(t, err)
	must(t, s.Remember("cmd:c1", t0.Add(time.Hour), t0))
	must(t, s.Remember("session:S-1", t0.Add(2*time.Hour), t0))
	for _, tc := range []struct {
		key  string
		at   time.Time
		want bool
	}{
		{"cmd:c1", t0, true}, {"cmd:c1", t0.Add(time.Hour - time.Millisecond), true}, {"cmd:c1", t0.Add(time.Hour), false},
		{"cmd:c2", t0, false}, {"session:S-1", t0.Add(90 * time.Minute), true},
	} {
		if got, err := s.Seen(tc.key, tc.at); err != nil || got != tc.want {
			t.Errorf("Seen(%s, %v) = %v, %v; want %v", tc.key, tc.at, got, err, tc.want)
		}
	}
	if err := s.SetState("seen:cmd:c1", nil); err == nil {
		t.Error("SetState may delete a remembered id")
	}
	closeChecked(t, s)
	s, err = store.Open(path, store.Options{})
	must(t, err)
	if got, _ := s.Seen("session:S-1", t0); !got {
		t.Error("forgotten at reopen")
	}
	must(t, s.Remember("config:cfg1", t0.Add(3*time.Hour), t0.Add(90*time.Minute))) // c1 expired by then
	closeChecked(t, s)
	db, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	defer db.Close()
	var keys []string
	must(t, db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("state")).ForEach(func(k, _ []byte) error {
			if strings.HasPrefix(string(k), "seen:") {
				keys = append(keys, string(k))
			}
			return nil
		})
	}))
	if !slices.Equal(keys, []string{"seen:config:cfg1", "seen:session:S-1"}) {
		t.Errorf("remembered keys %q: the expired one was not dropped", keys)
	}
}
