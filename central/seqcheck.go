package central

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Loss and clock detection. A pad numbers its records 1, 2, 3 … (seq,
// strictly increasing, never reused): a seq the central never stored is a
// record lost or still on its way, a seq stored under two ids is a pad
// whose store was reset or cloned. A record dated before the pad's key was
// registered, or after the central received it, comes from a clock that
// is wrong. SeqReport computes all of it in SQL over the (device_id, seq)
// index: nothing reads a pad's records into Go.

// seqSchema is the index SeqReport reads.
var seqSchema = []string{
	`CREATE INDEX IF NOT EXISTS records_device_seq ON records (device_id, seq, id)`,
}

// MaxSeqRanges bounds the ranges a SeqReport lists of each kind.
const MaxSeqRanges = 1000

// FutureSlack is how far a record's "at" may be after the central received
// it before it counts as dated in the future (clocks a little apart).
const FutureSlack = time.Minute

// SeqReport is what the central can tell of one pad's records: seq
// missing or repeated, and clock faults.
type SeqReport struct {
	DeviceID string `json:"device_id"`
	Records  int    `json:"records"`   // stored, the central's own (default 4★) not counted
	FirstSeq uint64 `json:"first_seq"` // 0 when none
	LastSeq  uint64 `json:"last_seq"`
	// Missing are the ranges [from, to] of seq between 1 and LastSeq that
	// no stored record carries: lost, on their way, or rejected (see
	// GET /api/v1/rejected). Repeated are the ranges of seq stored under
	// more than one id. At most MaxSeqRanges each; Truncated says more.
	Missing   [][2]uint64 `json:"missing"`
	Repeated  [][2]uint64 `json:"repeated"`
	Truncated bool        `json:"truncated"`
	// BeforeProvisioning counts records dated before the pad's current
	// key was registered, Future those dated more than FutureSlack after
	// the central received them: stored (within the clock skew the hub
	// allows) and refused (beyond it).
	BeforeProvisioning int `json:"before_provisioning"`
	Future             int `json:"future"`
}

// ErrUnknownDevice: no pad of that id is registered.
var ErrUnknownDevice = errors.New("central: no such device")

// notCentral leaves out the records the central makes (version 8 ids,
// DefaultID), which repeat their unrated record's seq.
const notCentral = "substr(id, 15, 1) <> '8'"

// SeqReport reports on the records of device.
func (s *SQLStore) SeqReport(ctx context.Context, device string) (SeqReport, error) {
	rep := SeqReport{DeviceID: device, Missing: [][2]uint64{}, Repeated: [][2]uint64{}}
	p1, p2, p3 := s.d.ph(1), s.d.ph(2), s.d.ph(3)
	var enrolled int64
	err := s.db.QueryRowContext(ctx, "SELECT enrolled_ms FROM devices WHERE device_id = "+p1, device).Scan(&enrolled)
	if errors.Is(err, sql.ErrNoRows) {
		return SeqReport{}, fmt.Errorf("%w: %s", ErrUnknownDevice, device)
	}
	if err != nil {
		return SeqReport{}, fmt.Errorf("central: seq report %s: %w", device, err)
	}
	var first, last sql.NullInt64
	var before, future sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(seq), MAX(seq),
		SUM(CASE WHEN at_ms < `+p1+` AND received_ms >= `+p2+` THEN 1 ELSE 0 END),
		SUM(CASE WHEN at_ms > received_ms + `+fmt.Sprint(FutureSlack.Milliseconds())+` THEN 1 ELSE 0 END)
		FROM records WHERE device_id = `+p3+` AND `+notCentral, enrolled, enrolled, device).Scan(&rep.Records, &first, &last, &before, &future)
	if err != nil {
		return SeqReport{}, fmt.Errorf("central: seq report %s: %w", device, err)
	}
	rep.FirstSeq, rep.LastSeq = uint64(first.Int64), uint64(last.Int64)
	rep.BeforeProvisioning, rep.Future = int(before.Int64), int(future.Int64)
	// And those the hub refused for their date (verify.go's reasons).
	err = s.db.QueryRowContext(ctx, `SELECT
		SUM(CASE WHEN reason LIKE `+p1+` THEN 1 ELSE 0 END), SUM(CASE WHEN reason LIKE `+p2+` THEN 1 ELSE 0 END)
		FROM rejected WHERE device_id = `+p3, "at: %"+reasonBeforeKey+"%", "at: %"+reasonAhead+"%", device).Scan(&before, &future)
	if err != nil {
		return SeqReport{}, fmt.Errorf("central: seq report %s: rejected: %w", device, err)
	}
	rep.BeforeProvisioning += int(before.Int64)
	rep.Future += int(future.Int64)

	// Gaps: between consecutive distinct seqs, and before the first.
	// In index order; a repeat has prev = seq and makes no gap.
	gaps, more, err := s.seqRanges(ctx, `SELECT COALESCE(prev, 0) + 1, seq - 1 FROM (
			SELECT seq, LAG(seq) OVER (ORDER BY seq) AS prev
			FROM records WHERE device_id = `+p1+` AND `+notCentral+`) AS g
		WHERE seq > COALESCE(prev, 0) + 1 ORDER BY seq LIMIT `+fmt.Sprint(MaxSeqRanges+1), device)
	if err != nil {
		return SeqReport{}, err
	}
	rep.Missing, rep.Truncated = gaps, more
	// Repeats: each seq stored more than once, consecutive ones joined.
	reps, more, err := s.seqRanges(ctx, `SELECT seq, seq FROM records WHERE device_id = `+p1+` AND `+notCentral+`
		GROUP BY seq HAVING COUNT(*) > 1 ORDER BY seq LIMIT `+fmt.Sprint(MaxSeqRanges+1), device)
	if err != nil {
		return SeqReport{}, err
	}
	rep.Repeated, rep.Truncated = joinRanges(reps), rep.Truncated || more
	return rep, nil
}

// seqRanges runs q (rows of from, to) and returns at most MaxSeqRanges of
// them and whether there were more.
func (s *SQLStore) seqRanges(ctx context.Context, q string, args ...any) ([][2]uint64, bool, error) {
	rs, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("central: seq report: %w", err)
	}
	defer rs.Close()
	out := [][2]uint64{}
	for rs.Next() {
		var from, to int64
		if err := rs.Scan(&from, &to); err != nil {
			return nil, false, fmt.Errorf("central: seq report: %w", err)
		}
		out = append(out, [2]uint64{uint64(from), uint64(to)})
	}
	if err := rs.Err(); err != nil {
		return nil, false, fmt.Errorf("central: seq report: %w", err)
	}
	if len(out) > MaxSeqRanges {
		return out[:MaxSeqRanges], true, nil
	}
	return out, false, nil
}

// joinRanges joins ranges that follow each other: [3,3] [4,4] → [3,4].
func joinRanges(in [][2]uint64) [][2]uint64 {
	out := [][2]uint64{}
	for _, r := range in {
		if n := len(out); n > 0 && out[n-1][1]+1 == r[0] {
			out[n-1][1] = r[1]
			continue
		}
		out = append(out, r)
	}
	return out
}

// seqReporter is a Store that reports on a pad's seq (SQLStore).
type seqReporter interface {
	SeqReport(ctx context.Context, device string) (SeqReport, error)
}

// seq serves GET /api/v1/devices/{id}/seq → SeqReport.
func (a *API) seq(sr seqReporter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rep, err := sr.SeqReport(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, ErrUnknownDevice):
			writeError(w, http.StatusNotFound, err)
		case err != nil:
			a.fail(w, err)
		default:
			writeJSON(w, http.StatusOK, rep)
		}
	}
}
