// Command benchcentral measures evalhub's figures at city scale (issue 11):
// it stores BENCH_RECORDS records of one year in a fresh PostgreSQL schema
// through the ingest path (central.SQLStore.Insert, in batches and from
// two writers as the hub stores them; the hub's signature check comes
// before that and is not run: records carry a placeholder signature of
// the real size), then serves the API from a child process and measures
// the p50 of GET /api/v1/stats (the whole year, one hall, one month) and
// of GET /api/v1/unrated, and that process's peak RSS. Up to 1,000,000
// records (or with BENCH_OLD=1) it also times, in another child process,
// the way before the rollups: central.Compute over Store.Records.
//
// scripts/bench-central runs it; its last line is
//
//	records N, stats p50 X ms (year) Y ms (hall) Z ms (month), unrated p50 W ms, peak RSS R MB
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"evalpad/central"
	"evalpad/central/centraltest"
	"evalpad/rating"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 3 && os.Args[1] == "serve":
		err = serve(os.Args[2])
	case len(os.Args) == 3 && os.Args[1] == "old":
		err = old(os.Args[2])
	case len(os.Args) == 1:
		err = run()
	default:
		err = errors.New("usage: benchcentral (env BENCH_RECORDS, EVALHUB_TEST_PG)")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcentral:", err)
		os.Exit(1)
	}
}

const (
	year   = "from=2026-01-01&to=2026-12-31"
	month  = "from=2026-06-01&to=2026-06-30"
	rounds = 21
)

func run() error {
	n := 10_000_000
	if v := os.Getenv("BENCH_RECORDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(strings.ReplaceAll(v, "_", "")); err != nil || n < 1000 {
			return fmt.Errorf("BENCH_RECORDS=%q: want a number ≥ 1000", v)
		}
	}
	ctx := context.Background()
	dsn, drop, err := schema(ctx)
	if err != nil {
		return err
	}
	defer drop()
	st, err := central.Open(ctx, dsn)
	if err != nil {
		return err
	}
	g := newGen(n)
	start := time.Now()
	if err := g.ingest(ctx, st); err != nil {
		st.Close()
		return err
	}
	took := time.Since(start)
	stored, err := st.Count(ctx)
	if err != nil {
		st.Close()
		return err
	}
	fmt.Printf("ingest: %d records (%d pads, %d halls) in %s: %.0f records/s\n", stored, g.pads, g.halls, took.Round(time.Second), float64(stored)/took.Seconds())
	tok, err := central.IssueToken(ctx, st, central.RoleSupervisor, "bench", time.Now())
	if err != nil {
		st.Close()
		return err
	}
	st.Close()
	sizes(ctx, dsn)

	srv, err := startChild("serve", dsn)
	if err != nil {
		return err
	}
	defer srv.stop()
	base := "http://" + srv.line
	hall := url.QueryEscape(g.hall(0))
	p50 := map[string]float64{}
	for _, q := range []struct{ name, path string }{
		{"year", "/api/v1/stats?" + year},
		{"hall", "/api/v1/stats?" + year + "&hall=" + hall},
		{"month", "/api/v1/stats?" + month},
		{"unrated", "/api/v1/unrated"},
	} {
		ms, body, err := measure(base+q.path, tok)
		if err != nil {
			return err
		}
		p50[q.name] = ms
		fmt.Printf("%-8s p50 %7.1f ms  %s\n", q.name, ms, summary(q.name, body))
	}
	rss, err := peakRSS(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	srv.stop()
	if n <= 1_000_000 || os.Getenv("BENCH_OLD") == "1" {
		o, err := startChild("old", dsn)
		if err != nil {
			return err
		}
		err = o.cmd.Wait()
		if err != nil {
			return fmt.Errorf("old way: %w", err)
		}
		var ms, mb float64
		fmt.Sscanf(o.line, "%f %f", &ms, &mb)
		fmt.Printf("old way (Compute over Records, whole year): %.0f ms, peak RSS %.0f MB: %.0fx the rollups' %.1f ms\n", ms, mb, ms/p50["year"], p50["year"])
	}
	fmt.Printf("records %d, stats p50 %.1f ms (year) %.1f ms (hall) %.1f ms (month), unrated p50 %.1f ms, peak RSS %.0f MB\n",
		stored, p50["year"], p50["hall"], p50["month"], p50["unrated"], rss)
	return nil
}

// schema creates a schema of its own on the test server; drop removes it.
func schema(ctx context.Context) (string, func(), error) {
	base := centraltest.Server()
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	rand.Read(b[:])
	name := "evalhub_bench_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		if os.Getenv("BENCH_KEEP") == "1" {
			fmt.Fprintln(os.Stderr, "benchcentral: BENCH_KEEP=1: schema", name, "kept")
			db.Close()
			return
		}
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "benchcentral: drop schema", name, err)
		}
		db.Close()
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + name, drop, nil
}

// sizes prints the tables' sizes on disk.
func sizes(ctx context.Context, dsn string) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return
	}
	defer db.Close()
	var parts []string
	for _, t := range []string{"records", "rollup", "rollup_reason", "unrated_sessions"} {
		var sz string
		var rows int64
		if db.QueryRowContext(ctx, "SELECT pg_size_pretty(pg_total_relation_size($1)), (SELECT COUNT(*) FROM "+t+")", t).Scan(&sz, &rows) == nil {
			parts = append(parts, fmt.Sprintf("%s %d rows %s", t, rows, sz))
		}
	}
	fmt.Println("on disk:", strings.Join(parts, ", "))
}

// measure GETs url rounds times after one warm-up and returns the median.
func measure(u, tok string) (float64, []byte, error) {
	var ms []float64
	var body []byte
	for i := range rounds + 1 {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		t := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if err != nil || resp.StatusCode != 200 {
			return 0, nil, fmt.Errorf("GET %s: %d %v %s", u, resp.StatusCode, err, body)
		}
		if i > 0 {
			ms = append(ms, float64(d.Microseconds())/1000)
		}
	}
	slices.Sort(ms)
	return ms[len(ms)/2], body, nil
}

func summary(name string, body []byte) string {
	if name == "unrated" {
		var u struct{ Unrated []json.RawMessage }
		json.Unmarshal(body, &u)
		return fmt.Sprintf("(%d pending listed, %d bytes)", len(u.Unrated), len(body))
	}
	var s central.Stats
	json.Unmarshal(body, &s)
	return fmt.Sprintf("(%d records, %d 办件, 服务满意率 %.2f%%, %d windows, %d days, %d bytes)",
		s.Total.Records, s.Total.Cases, 100*s.Total.CaseSatisfaction, len(s.ByWin), len(s.ByDay), len(body))
}

// peakRSS is a process's VmHWM in MB.
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, errors.New("no VmHWM")
}

type child struct {
	cmd  *exec.Cmd
	line string // its first line of output
	once sync.Once
}

// startChild runs this program with args and waits for its first line.
func startChild(args ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s: %w", args[0], err)
	}
	return &child{cmd: cmd, line: strings.TrimSpace(line)}, nil
}

func (c *child) stop() {
	c.once.Do(func() {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	})
}

// serve is the process measured: evalhub's API over the store, as
// central/server wires it (without the broker).
func serve(dsn string) error {
	ctx := context.Background()
	st, err := central.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	mux := http.NewServeMux()
	(&central.API{Auth: &central.Auth{Tokens: st}, Store: st, Rule: &central.TimeRule{Cal: &central.Calendar{}, Store: st}}).Register(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	return http.Serve(ln, mux)
}

// old computes the whole year's figures the way evalhub did before the
// rollups, and prints the milliseconds and its peak RSS in MB.
func old(dsn string) error {
	ctx := context.Background()
	st, err := central.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	t := time.Now()
	rows, err := st.Records(ctx, central.Filter{From: "2026-01-01", To: "2026-12-31"})
	if err != nil {
		return err
	}
	s := central.Compute(rows)
	ms := float64(time.Since(t).Microseconds()) / 1000
	rss, err := peakRSS(os.Getpid())
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "old way: %d records\n", s.Total.Records)
	fmt.Printf("%.1f %.1f\n", ms, rss)
	return nil
}

// gen makes a year of a city's records.
type gen struct {
	n, pads, halls int
	days           []time.Time
	sig            string
}

const perPadDay = 50

func newGen(n int) *gen {
	g := &gen{n: n}
	loc := time.FixedZone("CST", 8*3600)
	for d := time.Date(2026, 1, 5, 0, 0, 0, 0, loc); d.Before(time.Date(2026, 11, 28, 0, 0, 0, 0, loc)); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			g.days = append(g.days, d)
		}
	}
	g.pads = max(4, n/(len(g.days)*perPadDay))
	if v, err := strconv.Atoi(os.Getenv("BENCH_PADS")); err == nil && v > 0 {
		g.pads = v // the fleet of a larger N: its rollup rows with fewer records
	}
	g.halls = max(1, g.pads/40)
	g.sig = strings.Repeat("S", 88) // an ed25519 signature's base64 length
	return g
}

func (g *gen) hall(i int) string { return fmt.Sprintf("第%03d政务服务中心", i) }

var items = []rating.Case{
	{TaskCode: "11370900MB28449441100011", TaskName: "企业设立登记"},
	{TaskCode: "11370900MB28449441100012", TaskName: "个体工商户登记"},
	{TaskCode: "11370900MB28449441100013", TaskName: "食品经营许可"},
	{TaskCode: "11370900MB28449441100014", TaskName: "不动产登记"},
	{TaskCode: "11370900MB28449441100015", TaskName: "社会保障卡申领"},
	{TaskCode: "11370900MB28449441100016", TaskName: "医保关系转移"},
	{TaskCode: "11370900MB28449441100017", TaskName: "公积金提取"},
	{TaskCode: "11370900MB28449441100018", TaskName: "户籍迁移"},
}

// record i of the year: records go day by day, pad by pad in each day.
func (g *gen) record(i int, seq []uint64) rating.Record {
	perDay := (g.n + len(g.days) - 1) / len(g.days)
	day := g.days[min(i/perDay, len(g.days)-1)]
	j := i % perDay
	pad := j % g.pads
	at := day.Add(8*time.Hour + 30*time.Minute + time.Duration(j/g.pads)*8*time.Hour/time.Duration(max(1, perDay/g.pads)))
	h := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(i)>>7
	seq[pad]++
	id := fmt.Sprintf("%08x-%04x-7%03x-8%03x-%012x", at.UnixMilli()>>16, at.UnixMilli()&0xffff, h&0xfff, (h>>12)&0xfff, i)
	o := rating.Origin{DeviceID: fmt.Sprintf("TA-%05d", pad), AreaCode: "370900", Hall: g.hall(pad % g.halls), Window: strconv.Itoa(pad/g.halls + 1), Channel: "4"}
	staff := rating.Staff{ID: fmt.Sprintf("TA%05d%d", pad, (h>>24)%2), Name: fmt.Sprintf("工作人员%05d%d", pad, (h>>24)%2)}
	sess := &rating.Session{ID: fmt.Sprintf("S-%d", i), Mode: rating.ModeSingle, Staff: staff}
	it := items[(pad*3+int(h>>28)%2)%len(items)] // a window serves a few items
	cases := []rating.Case{{ProjectNo: fmt.Sprintf("P%010d", i), TaskCode: it.TaskCode, TaskName: it.TaskName}}
	switch m := (h >> 32) % 100; {
	case m < 8:
		sess.Mode = rating.ModeBatch
		for k := range 1 + int(h>>40)%4 {
			cases = append(cases, rating.Case{ProjectNo: fmt.Sprintf("P%010d-%d", i, k), TaskCode: it.TaskCode, TaskName: it.TaskName})
		}
	case m < 16:
		sess.Mode = rating.ModeTheme
		for k := range 1 + int(h>>40)%3 {
			o := items[(int(h>>28)+k+1)%len(items)]
			cases = append(cases, rating.Case{ProjectNo: fmt.Sprintf("P%010d-%d", i, k), TaskCode: o.TaskCode, TaskName: o.TaskName})
		}
	}
	v := rating.Verdict{Stars: 5}
	switch s := (h >> 48) % 100; {
	case s < 5:
		v.Stars = 0
	case s < 7:
		v = rating.Verdict{Stars: 1, Reasons: []string{"115"}}
	case s < 10:
		v = rating.Verdict{Stars: 2, Reasons: []string{"213"}}
	case s < 14:
		v.Stars = 3
	case s < 24:
		v.Stars = 4
	}
	r := rating.NewRecord(id, o, sess, rating.Staff{}, cases, v, rating.FormatTime(at.Add(-4*time.Minute), at.Location()), rating.FormatTime(at, at.Location()))
	if v.Stars == 0 {
		r.Flags = []string{rating.FlagSessionTimeout}
	}
	r.Seq, r.Sig = seq[pad], g.sig
	return r
}

// ingest stores the year in batches of 2000 from two writers; the unrated
// sessions but those of the last week get their default 4★ eight batches
// later (about a day of the city's records), as the time rule gives them.
func (g *gen) ingest(ctx context.Context, st *central.SQLStore) error {
	const batch, delay = 2000, 8
	work := make(chan []central.Row, 4)
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rows := range work {
				if _, err := st.Insert(ctx, rows, nil); err != nil {
					errc <- err
					for range work {
					}
					return
				}
			}
		}()
	}
	seq := make([]uint64, g.pads)
	cutoff := g.days[len(g.days)-5].Format(time.DateOnly)
	var later [][]rating.Record // defaults per batch sent
	now := time.Now()
	next := 0
	for i := 0; i < g.n || len(later) > 0; {
		rows := make([]central.Row, 0, batch+batch/10)
		if len(later) > delay || i >= g.n {
			for _, d := range later[0] {
				rows = append(rows, row(d, now))
			}
			later = later[1:]
		}
		var defaults []rating.Record
		for ; i < g.n && len(rows) < batch; i++ {
			r := g.record(i, seq)
			rows = append(rows, row(r, now))
			if r.Kind == rating.KindUnrated && r.At < cutoff {
				defaults = append(defaults, central.DefaultRecord(r))
			}
		}
		if i < g.n || len(defaults) > 0 {
			later = append(later, defaults)
		}
		select {
		case work <- rows:
		case err := <-errc:
			close(work)
			wg.Wait()
			return err
		}
		if i*10/g.n > next {
			next = i * 10 / g.n
			fmt.Fprintf(os.Stderr, "ingest: %d%% (%d records)\n", next*10, i)
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func row(r rating.Record, now time.Time) central.Row {
	b, _ := json.Marshal(r)
	return central.NewRow(r, b, now)
}
