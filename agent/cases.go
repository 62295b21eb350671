package agent

import (
	"encoding/json"
	"errors"
	"sync"

	"evalpad/store"
)

// maxRecentCases bounds the project numbers kept in memory.
const maxRecentCases = 4096

// ErrUnknownCase: a print_receipt from the central names a case that was
// in no session of this pad. The pad prints receipts over MQTT only for
// its own cases, so that not even a central's signed command makes it sign
// a 扫码评价 token for any project number.
var ErrUnknownCase = errors.New("agent: the case was in no session of this pad")

// recentCases are the project numbers of the sessions opened since the
// start, the most recent maxRecentCases.
type recentCases struct {
	mu    sync.Mutex
	set   map[string]struct{}
	order []string
}

func (r *recentCases) add(projectNos ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set == nil {
		r.set = map[string]struct{}{}
	}
	for _, p := range projectNos {
		if _, ok := r.set[p]; ok {
			continue
		}
		if len(r.order) >= maxRecentCases {
			delete(r.set, r.order[0])
			r.order = r.order[1:]
		}
		r.set[p] = struct{}{}
		r.order = append(r.order, p)
	}
}

func (r *recentCases) has(p string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[p]
	return ok
}

// caseSeen reports whether projectNo was a case of a session of this pad:
// the open one, one opened since the start, or one a stored record names.
// Every session that opened ends in a record (rated, unrated, replaced) or
// is still open, so the store — what it keeps, acked records for
// store.retention — is the memory that survives a restart; the recent set
// spares reading it in the usual case.
func (a *Agent) caseSeen(projectNo string) (bool, error) {
	if s := a.pad.View().Session; s != nil {
		for _, c := range s.Cases {
			if c.ProjectNo == projectNo {
				return true, nil
			}
		}
	}
	if a.recent.has(projectNo) {
		return true, nil
	}
	errFound := errors.New("found")
	err := a.store.Records(func(e store.Entry) error {
		var r struct {
			Cases []struct {
				ProjectNo string `json:"project_no"`
			} `json:"cases"`
		}
		if json.Unmarshal(e.JSON, &r) != nil {
			return nil
		}
		for _, c := range r.Cases {
			if c.ProjectNo == projectNo {
				return errFound
			}
		}
		return nil
	})
	if errors.Is(err, errFound) {
		a.recent.add(projectNo)
		return true, nil
	}
	return false, err
}
