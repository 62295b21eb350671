package central

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"evalpad/rating"
)

// Store keeps the records the central received, each id once.
//
// Insert writes rows and rejects in one transaction: a row whose id is
// already stored is skipped, never stored twice (likewise a reject); when
// the stored one is another device's, the row is kept as a reject instead
// (Inserted.Refused). When
// Insert returns nil every id given is durably stored (committed), so the
// central may ack all of them; on error nothing was committed. Insert is
// safe for concurrent use, also by several processes on one database.
//
// Records lists stored records matching f in the order they were stored
// (arrival.go), or newest first by (at, id) with Filter.Newest.
// Rejected lists the records refused as invalid, oldest first.
//
// Stats, Unrated and Record read the figures and unrated sessions kept in
// the ingest transaction (sqlstats.go): no call reads every record.
type Store interface {
	Insert(ctx context.Context, rows []Row, rejects []Reject) (Inserted, error)
	Records(ctx context.Context, f Filter) ([]Row, error)
	Stats(ctx context.Context, f Filter) (Stats, error)
	Unrated(ctx context.Context, q UnratedQuery) ([]UnratedRow, error)
	Record(ctx context.Context, id string) (Row, error)
	Count(ctx context.Context) (int, error)
	Rejected(ctx context.Context) ([]Reject, error)
	Close() error
}

// Inserted says what an Insert did.
type Inserted struct {
	New       int // rows stored now
	Duplicate int // rows already stored before (a resend)
	Rejected  int // rejects stored now
	// Refused are rows whose id is stored already for another device (or
	// came twice in one call from two devices): not stored as records but
	// as rejects, in the same transaction, and not counted as duplicates.
	Refused []Reject
}

// Row is one stored record: the indexed columns and the record as received.
type Row struct {
	rating.Record
	Day        string    // YYYY-MM-DD of At in the pad's zone
	AtUTC      time.Time // At as an instant
	ReceivedAt time.Time
	Body       json.RawMessage // the record as the pad sent it
}

// Reject is a record the central refused (it breaks protocol v1): kept with
// the reason and acked, so the pad stops sending it and people can look.
type Reject struct {
	ID         string
	DeviceID   string
	Reason     string
	Body       []byte
	ReceivedAt time.Time
}

// Filter selects records. Zero fields do not filter.
type Filter struct {
	DeviceID string
	Hall     string
	Window   string
	StaffID  string
	Windows  []HallWindow // any of these hall/window pairs (a department's Scope)
	Kind     string       // rating or unrated (default 4★ records: Flag "default")
	Stars    int
	Good     *bool
	Item     string // task_code or task_name of one of the cases
	Flag     string // records carrying this flag
	From, To string // days YYYY-MM-DD, inclusive
	Limit    int    // default and max: see MaxLimit for the API; 0 = all for Stats
	After    string // id: records stored after this one (arrival order), for paging
	Newest   bool   // newest first (After is then not allowed)
}

// ErrBadFilter: a filter value is malformed.
var ErrBadFilter = errors.New("central: bad filter")

// NewRow builds the row of a validated record.
func NewRow(r rating.Record, body []byte, received time.Time) Row {
	at, _ := time.Parse(time.RFC3339Nano, r.At) // validated by protocol.ParseRecord
	day := ""
	if len(r.At) >= 10 {
		day = r.At[:10] // the pad's local date, as written
	}
	return Row{Record: r, Day: day, AtUTC: at.UTC(), ReceivedAt: received.UTC(), Body: json.RawMessage(body)}
}
