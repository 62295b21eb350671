// Command imagetest is scripts/image-test's hands on the pad image running
// under qemu: it waits for the local API, rates, storms, checks the store
// after a hard reset, talks to the qemu monitor and to the image's test
// shell, and serves files to the VM. Not part of the pad.
//
//	imagetest wait    --api URL --token FILE [--timeout D]       until GET /api/v1/state answers 200; prints seconds
//	imagetest rate    --api URL --token FILE                     open a session, press 5★: the record
//	imagetest storm   --api URL --token FILE --log FILE [--workers N]
//	                                                             sessions and presses in parallel until SIGTERM;
//	                                                             each record id answered (200, "recorded") is a line of FILE
//	imagetest check   --api URL --token FILE --log FILE          every logged id in the store exactly once
//	imagetest monitor --sock PATH CMD                            one qemu monitor command
//	imagetest shell   --sock PATH [--timeout D] CMD              run CMD in the image's test shell (ttyS1): its output, its status
//	imagetest serve   --dir DIR --listen ADDR                    serve DIR over HTTP until SIGTERM
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: imagetest wait|rate|storm|check|monitor|shell|serve …")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("imagetest "+os.Args[1], flag.ExitOnError)
	api := fs.String("api", "", "the pad's local API, http://HOST:PORT")
	tokenFile := fs.String("token", "", "file with the API's bearer token")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait")
	logFile := fs.String("log", "", "the storm's log of answered record ids")
	workers := fs.Int("workers", 8, "storm clients in parallel")
	sock := fs.String("sock", "", "unix socket (qemu monitor, or the test shell's serial port)")
	dir := fs.String("dir", "", "directory to serve")
	listen := fs.String("listen", "", "address to serve on")
	fs.Parse(os.Args[2:])
	c := &client{base: strings.TrimRight(*api, "/")}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			fail(err)
		}
		c.token = strings.TrimSpace(string(b))
	}
	var err error
	switch os.Args[1] {
	case "wait":
		err = c.wait(*timeout)
	case "rate":
		err = c.rateOnce()
	case "storm":
		err = c.storm(*logFile, *workers)
	case "check":
		err = c.check(*logFile)
	case "monitor":
		err = monitor(*sock, strings.Join(fs.Args(), " "))
	case "shell":
		var code int
		code, err = shell(*sock, strings.Join(fs.Args(), " "), *timeout)
		if err == nil && code != 0 {
			os.Exit(code)
		}
	case "serve":
		err = serve(*dir, *listen)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "imagetest:", err)
	os.Exit(1)
}

type client struct {
	base, token string
	http        http.Client
}

// call sends body as JSON and decodes the answer into out; the status.
func (c *client) call(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err // an answer cut short is no answer
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *client) wait(timeout time.Duration) error {
	start := time.Now()
	c.http.Timeout = 2 * time.Second
	for time.Since(start) < timeout {
		if code, err := c.call("GET", "/api/v1/state", nil, nil); err == nil && code == 200 {
			fmt.Printf("%.1f\n", time.Since(start).Seconds())
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("the local API did not answer within %v", timeout)
}

type press struct {
	Result string `json:"result"`
	Record *struct {
		ID  string `json:"id"`
		Seq uint64 `json:"seq"`
	} `json:"record"`
}

var sessionSeq atomic.Int64

// session opens a single-case session with a fresh id.
func (c *client) session(tag string) (int, error) {
	n := sessionSeq.Add(1)
	id := fmt.Sprintf("IMG-%s-%d-%d", tag, os.Getpid(), n)
	return c.call("POST", "/api/v1/sessions", map[string]any{
		"session_id": id, "mode": "single",
		"staff": map[string]string{"id": "TA0123", "name": "李四"},
		"cases": []map[string]string{{"project_no": fmt.Sprintf("3709002026%010d", n), "task_code": "T001", "task_name": "企业设立登记"}},
	}, nil)
}

func (c *client) rateOnce() error {
	if code, err := c.session("one"); err != nil || code != 201 {
		return fmt.Errorf("open session: %d %v", code, err)
	}
	var p press
	code, err := c.call("POST", "/sim/press/5", nil, &p)
	if err != nil || code != 200 || p.Result != "recorded" || p.Record == nil {
		return fmt.Errorf("press 5★: %d %v %+v", code, err, p)
	}
	fmt.Printf("recorded %s seq %d\n", p.Record.ID, p.Record.Seq)
	return nil
}

// storm: each worker opens a session and presses 3★–5★, again and again.
// Sessions of parallel workers replace each other and a press rates
// whichever is open: what counts is the record a 200 "recorded" names.
func (c *client) storm(logPath string, workers int) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	c.http.Timeout = 5 * time.Second
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var mu sync.Mutex
	var answered, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if code, err := c.session(fmt.Sprint(w)); err != nil || code >= 500 {
					failed.Add(1)
					time.Sleep(100 * time.Millisecond)
					continue
				}
				var p press
				code, err := c.call("POST", fmt.Sprintf("/sim/press/%d", 3+i%3), nil, &p)
				if err != nil {
					failed.Add(1)
					continue
				}
				if code == 200 && p.Result == "recorded" && p.Record != nil {
					mu.Lock()
					fmt.Fprintf(f, "%s %d\n", p.Record.ID, p.Record.Seq)
					mu.Unlock()
					answered.Add(1)
				}
			}
		})
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			fmt.Printf("answered %d failed %d\n", answered.Load(), failed.Load())
			return f.Sync()
		case <-tick.C:
			fmt.Fprintf(os.Stderr, "storm: %d answered, %d failed\n", answered.Load(), failed.Load())
		}
	}
}

// check reads every record the store holds and finds each logged id in it
// exactly once, with the seq the press answered.
func (c *client) check(logPath string) error {
	var out struct {
		Records []struct {
			Record struct {
				ID  string `json:"id"`
				Seq uint64 `json:"seq"`
			} `json:"record"`
		} `json:"records"`
	}
	c.http.Timeout = time.Minute
	if code, err := c.call("GET", "/sim/records", nil, &out); err != nil || code != 200 {
		return fmt.Errorf("GET /sim/records: %d %v", code, err)
	}
	count := map[string]int{}
	seqOf := map[string]uint64{}
	seqs := map[uint64]int{}
	for _, r := range out.Records {
		count[r.Record.ID]++
		seqOf[r.Record.ID] = r.Record.Seq
		seqs[r.Record.Seq]++
	}
	var bad []string
	for id, n := range count {
		if n != 1 {
			bad = append(bad, fmt.Sprintf("id %s stored %d times", id, n))
		}
	}
	for s, n := range seqs {
		if n != 1 {
			bad = append(bad, fmt.Sprintf("seq %d used %d times", s, n))
		}
	}
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	answered, found := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var id string
		var seq uint64
		if _, err := fmt.Sscan(sc.Text(), &id, &seq); err != nil {
			return fmt.Errorf("log line %q: %w", sc.Text(), err)
		}
		answered++
		switch {
		case count[id] == 0:
			bad = append(bad, fmt.Sprintf("answered %s (seq %d) is not in the store", id, seq))
		case seqOf[id] != seq:
			bad = append(bad, fmt.Sprintf("answered %s as seq %d, stored as seq %d", id, seq, seqOf[id]))
		default:
			found++
		}
	}
	fmt.Printf("answered %d found %d stored %d\n", answered, found, len(out.Records))
	if len(bad) > 0 {
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("… %d more", len(bad)-20))
		}
		return errors.New(strings.Join(bad, "\n"))
	}
	return nil
}

func monitor(sock, cmd string) error {
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if _, err := readUntil(r, "(qemu) "); err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	if _, err := fmt.Fprintf(c, "%s\n", cmd); err != nil {
		return err
	}
	out, err := readUntil(r, "(qemu) ")
	if i := strings.Index(out, "\n"); i >= 0 { // the monitor echoes the command
		out = out[i+1:]
	}
	fmt.Print(strings.TrimSuffix(out, "(qemu) "))
	return err
}

func readUntil(r *bufio.Reader, marker string) (string, error) {
	var b strings.Builder
	for !strings.HasSuffix(b.String(), marker) {
		c, err := r.ReadByte()
		if err != nil {
			return b.String(), err
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// shell runs cmd in the root shell the test image has on its second serial
// port, framed by markers, and returns its output and status.
func shell(sock, cmd string, timeout time.Duration) (int, error) {
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	end := time.Now().Add(timeout)
	r := bufio.NewReader(c)
	// The shell may not be up yet (its getty starts beside the agent, and
	// input sent before it is lost): wait for its prompt.
	for {
		if time.Now().After(end) {
			return 0, errors.New("shell: no prompt on the test shell's port")
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		fmt.Fprint(c, "\n")
		if _, err := readUntil(r, "# "); err == nil {
			break
		}
	}
	c.SetDeadline(end)
	tag := fmt.Sprintf("M%d", time.Now().UnixNano())
	// stty -echo: the serial line echoes what it is sent.
	// A newline before the end marker: the output may not end with one.
	fmt.Fprintf(c, "\nstty -echo; echo %s-BEGIN; ( %s ) 2>&1; s=$?; echo; echo %s-END $s\n", tag, cmd, tag)
	if _, err := readUntil(r, tag+"-BEGIN\r\n"); err != nil {
		// The echo of the line itself holds the marker without -BEGIN\r\n after it.
		return 0, fmt.Errorf("shell: no answer: %w", err)
	}
	out, err := readUntil(r, "\n")
	var all strings.Builder
	for err == nil && !strings.HasPrefix(out, tag+"-END ") {
		all.WriteString(strings.TrimRight(out, "\r\n") + "\n")
		out, err = readUntil(r, "\n")
	}
	if err != nil {
		return 0, fmt.Errorf("shell: %w (so far: %s)", err, all.String())
	}
	if text := strings.TrimSuffix(all.String(), "\n"); text != "" { // the marker's newline
		fmt.Print(text)
		if !strings.HasSuffix(text, "\n") {
			fmt.Println()
		}
	}
	var code int
	fmt.Sscan(strings.TrimPrefix(strings.TrimSpace(out), tag+"-END "), &code)
	return code, nil
}

func serve(dir, addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: http.FileServer(http.Dir(dir))}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
