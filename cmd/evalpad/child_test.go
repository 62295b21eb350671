package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// evalpadBinary builds the evalpad command once per test run.
func evalpadBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evalpad-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "evalpad")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// child is a running `evalpad sim`.
type child struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	mu   sync.Mutex
	log  bytes.Buffer // the last of its stderr, for failure messages
	done chan struct{}
}

// startSim starts `evalpad sim` on a free port with args added, and waits
// until it listens.
func startSim(t testing.TB, args ...string) *child {
	t.Helper()
	return startEvalpad(t, append([]string{"sim", "--listen", "127.0.0.1:0"}, args...)...)
}

// startEvalpad starts evalpad with args and waits until it listens.
func startEvalpad(t testing.TB, args ...string) *child {
	t.Helper()
	return startProcess(t, "evalpad", evalpadBinary(t), nil, args...)
}

// startProcess starts bin (a command of this repo called name) with args
// and env added to the environment, and waits until it logs
// "NAME: listening on ADDR". Its stderr is kept for failure messages; the
// process is killed when the test ends.
func startProcess(t testing.TB, name, bin string, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if a, ok := strings.CutPrefix(line, name+": listening on "); ok {
				addr <- a
			}
			c.mu.Lock()
			if c.log.Len() > 64<<10 {
				c.log.Reset()
			}
			c.log.WriteString(line + "\n")
			c.mu.Unlock()
		}
	}()
	select {
	case c.base = <-addr:
	case <-c.done:
		cmd.Wait()
		t.Fatalf("%s exited before listening:\n%s", name, c.stderr())
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s did not listen within 20s:\n%s", name, c.stderr())
	}
	t.Cleanup(func() { c.kill() })
	return c
}

// exited waits up to d for the process to end by itself.
func (c *child) exited(d time.Duration) bool {
	select {
	case <-c.done:
		c.cmd.Wait()
		return true
	case <-time.After(d):
		return false
	}
}

func (c *child) stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String()
}

// kill sends SIGKILL and reaps the process.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()
	<-c.done
}

var client = &http.Client{Timeout: 5 * time.Second}

// call does a request and decodes the JSON answer into out (if not nil).
func (c *child) call(method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode, nil
}
