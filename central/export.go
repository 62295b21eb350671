package central

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"evalpad/rating"
)

// ExportMap is a deployment's code map for the platform export: the
// 评价渠道 (pf) of each channel, the 满意度 direction and the version of
// the indicator (reason) codes the platform takes. Provinces differ.
type ExportMap struct {
	// Channels: pf by channel name (ChannelScan, ChannelSMS, …, and
	// ChannelPad for the pads' own ratings); nil or missing: the defaults
	// (DefaultChannelCodes, pad "4").
	Channels ChannelCodes `json:"channels"`
	// Default is the pf of the central's default 4★ (系统默认评价); "" = "7".
	Default string `json:"default"`
	// Reverse numbers satisfaction as GB/T 39046 does (1 = 非常满意 … 5 =
	// 非常不满意); false: 1 = 非常不满意 … 5 = 非常满意.
	Reverse bool `json:"reverse"`
	// Reasons maps an indicator code a record carries (the code it was
	// given, of the list its pad had: 1★ 1xx, 2★ 2xx, and for good ratings
	// 3★ 3xx, 4★ 4xx, 5★ 5xx where a deployment collects them) to the code
	// of the list version the platform takes, e.g. a retired 105 to its
	// successor; a code not in it goes as it is. Codes are three digits.
	Reasons map[string]string `json:"reasons"`
}

// LoadExportMap reads an ExportMap from a JSON file; unknown fields and
// codes that are not 1–3 digits are errors.
func LoadExportMap(path string) (*ExportMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("central: export map: %w", err)
	}
	var m ExportMap
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("central: export map %s: %w", path, err)
	}
	codes := map[string]string{"default": m.Default}
	for k, v := range m.Channels {
		codes["channels."+k] = v
	}
	for k, v := range m.Reasons {
		if !indicatorCode(k) || !indicatorCode(v) {
			return nil, fmt.Errorf("central: export map %s: reasons: %q → %q: an indicator code is three digits", path, k, v)
		}
	}
	for k, v := range codes {
		if n, err := strconv.Atoi(v); (v != "" || k != "default") && (err != nil || n < 0 || len(v) > 3) {
			return nil, fmt.Errorf("central: export map %s: %s: %q is not a code of 1 to 3 digits", path, k, v)
		}
	}
	return &m, nil
}

// indicatorCode: a national indicator code, three digits (108, 214, 517).
func indicatorCode(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ChannelPad names the pads' own ratings (现场 一次一评) in an ExportMap.
const ChannelPad = "pad"

// ExportRow is one rated case in the platform's field names.
type ExportRow struct {
	ProjectNo         string `json:"projectNo"`
	TaskCode          string `json:"taskCode"`
	TaskName          string `json:"taskName"`
	AreaCode          string `json:"areaCode"`
	DeptCode          string `json:"deptCode"` // not held by the central: ""
	PF                string `json:"pf"`
	Satisfaction      string `json:"satisfaction"`
	EvalDetail        string `json:"evalDetail"`        // the reason codes, comma-separated
	WritingEvaluation string `json:"writingEvaluation"` // free text: none is collected, ""
	AssessTime        string `json:"assessTime"`        // YYYY-MM-DD HH:MM:SS, the pad's local time
	AssessNumber      string `json:"assessNumber"`      // the rating's id (and case), unique: the platform's dedupe key
}

var exportHeader = []string{"projectNo", "taskCode", "taskName", "areaCode", "deptCode", "pf", "satisfaction", "evalDetail", "writingEvaluation", "assessTime", "assessNumber"}

func (r ExportRow) fields() []string {
	return []string{r.ProjectNo, r.TaskCode, r.TaskName, r.AreaCode, r.DeptCode, r.PF, r.Satisfaction, r.EvalDetail, r.WritingEvaluation, r.AssessTime, r.AssessNumber}
}

// channelOf is the channel name of a stored record.
func channelOf(r *rating.Record) string {
	switch {
	case slices.Contains(r.Flags, FlagDefault):
		return FlagDefault
	case slices.Contains(r.Flags, FlagChannel):
		for _, f := range r.Flags {
			if v, ok := strings.CutPrefix(f, FlagVia); ok {
				return v
			}
		}
	}
	return ChannelPad
}

// Rows are the export rows of one record: one per case it rates (a theme
// rating's target only), none for an unrated session or a window's rating
// (the platform takes cases).
func (m ExportMap) Rows(r *rating.Record) ([]ExportRow, error) {
	if r.Kind != rating.KindRating || !r.Stars.Valid() {
		return nil, nil
	}
	var pf string
	switch ch := channelOf(r); ch {
	case FlagDefault:
		pf = cmp.Or(m.Default, "7")
	case ChannelPad:
		pf = cmp.Or(m.Channels[ChannelPad], "4")
	default:
		pf = m.Channels.Code(ch)
	}
	if pf == "" {
		return nil, fmt.Errorf("central: export: record %s: no pf code for its channel", r.ID)
	}
	sat := int(r.Stars)
	if m.Reverse {
		sat = 6 - sat
	}
	at, err := time.Parse(time.RFC3339Nano, r.At)
	if err != nil {
		return nil, fmt.Errorf("central: export: record %s: at %q: %w", r.ID, r.At, err)
	}
	var out []ExportRow
	for i, c := range r.Cases {
		if r.Target != "" && c.ProjectNo != r.Target {
			continue
		}
		n := r.ID
		if len(r.Cases) > 1 {
			n += "-" + strconv.Itoa(i+1)
		}
		out = append(out, ExportRow{ProjectNo: c.ProjectNo, TaskCode: c.TaskCode, TaskName: c.TaskName, AreaCode: r.AreaCode,
			PF: pf, Satisfaction: strconv.Itoa(sat), EvalDetail: m.detail(r.Reasons),
			AssessTime: at.Format(time.DateTime), AssessNumber: n})
	}
	return out, nil
}

// detail is evalDetail: the record's codes through Reasons, comma-separated.
func (m ExportMap) detail(codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = cmp.Or(m.Reasons[c], c)
	}
	return strings.Join(out, ",")
}

// exportPage is how many records Export reads at a time: a year's export
// streams, it is never held in memory (a variable for the tests).
var exportPage = 1000

// Export writes the rows of the records of days from..to (YYYY-MM-DD,
// inclusive) in arrival order as JSON lines ("jsonl") or CSV with a
// header ("csv").
func (m ExportMap) Export(ctx context.Context, st Store, from, to, format string, w io.Writer) error {
	if format != "jsonl" && format != "csv" {
		return fmt.Errorf("%w: format: %q is not jsonl or csv", ErrBadFilter, format)
	}
	for _, d := range []string{from, to} {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return fmt.Errorf("%w: from and to: %q is not a day YYYY-MM-DD", ErrBadFilter, d)
		}
	}
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if format == "csv" {
		cw.Write(exportHeader)
	}
	f := Filter{From: from, To: to, Kind: string(rating.KindRating), Limit: exportPage}
	for {
		rows, err := st.Records(ctx, f)
		if err != nil {
			return fmt.Errorf("central: export: %w", err)
		}
		for i := range rows {
			out, err := m.Rows(&rows[i].Record)
			if err != nil {
				return err
			}
			for _, r := range out {
				if format == "csv" {
					cw.Write(r.fields())
				} else if err := enc.Encode(r); err != nil {
					return err
				}
			}
		}
		if len(rows) < f.Limit {
			break
		}
		f.After = rows[len(rows)-1].ID
	}
	cw.Flush()
	return cw.Error()
}

// serveExport: GET /api/v1/export?from=&to=&format=jsonl|csv.
func serveExport(st Store, m ExportMap) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		format := cmp.Or(q.Get("format"), "jsonl")
		var b strings.Builder
		if err := m.Export(r.Context(), st, q.Get("from"), q.Get("to"), format, &b); err != nil {
			code := http.StatusInternalServerError
			if errors.Is(err, ErrBadFilter) {
				code = http.StatusBadRequest
			}
			writeError(w, code, err)
			return
		}
		ct := "application/x-ndjson"
		if format == "csv" {
			ct = "text/csv"
		}
		w.Header().Set("Content-Type", ct+"; charset=utf-8")
		io.WriteString(w, b.String())
	}
}
