package localapi

import (
	"net/http"

	"evalpad/store"
)

// Repair is the technician's side of the store (*store.Store implements
// it): what opening it found damaged and did, and the values it could not
// read.
type Repair interface {
	Damage() []store.Damage
	ClearDamage() error
	Quarantined(fn func(q store.Quarantined) error) error
}

var _ Repair = (*store.Store)(nil)

// StoreReport is the body of GET /api/v1/store.
type StoreReport struct {
	Damage      []store.Damage    `json:"damage"`
	Quarantined []QuarantineEntry `json:"quarantined"`
}

// QuarantineEntry is one value the store could not read as a record, kept
// for a technician. Raw is base64 in JSON.
type QuarantineEntry struct {
	Bucket string `json:"bucket"`
	Seq    uint64 `json:"seq"`
	Key    []byte `json:"key"`
	Raw    []byte `json:"raw"`
}

// maxQuarantineListed bounds the answer: a badly damaged file can have
// thousands of unreadable values, all kept in the store.
const maxQuarantineListed = 1000

func (a *API) storeReport(w http.ResponseWriter, r *http.Request) {
	rep := StoreReport{Damage: a.Repair.Damage(), Quarantined: []QuarantineEntry{}}
	if rep.Damage == nil {
		rep.Damage = []store.Damage{}
	}
	err := a.Repair.Quarantined(func(q store.Quarantined) error {
		if len(rep.Quarantined) < maxQuarantineListed {
			rep.Quarantined = append(rep.Quarantined, QuarantineEntry{Bucket: q.Bucket, Seq: q.Seq,
				Key: append([]byte(nil), q.Key...), Raw: append([]byte(nil), q.Raw...)})
		}
		return nil
	})
	if err != nil {
		Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	JSON(w, http.StatusOK, rep)
}

func (a *API) clearDamage(w http.ResponseWriter, r *http.Request) {
	if err := a.Repair.ClearDamage(); err != nil {
		Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	a.log().Info("store damage report cleared by a technician", "remote", r.RemoteAddr)
	JSON(w, http.StatusOK, map[string]any{"damage": []store.Damage{}})
}
