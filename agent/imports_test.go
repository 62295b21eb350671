package agent

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Only cmd imports the agent: it is the top of the pad, and the layers
// below it (agent/sim, agent/screen, … included) never reach back up.
func TestOnlyCmdImportsAgent(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "evalpad/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if imp == "evalpad/agent" && !strings.HasPrefix(f[0], "evalpad/cmd/") {
				t.Errorf("%s imports evalpad/agent", f[0])
			}
		}
	}
}

// cmd is flags and wiring: the pad's logic lives here, not in main. A
// command that grows past 600 lines of non-test code has logic that belongs
// in agent (or central).
func TestCmdIsWiring(t *testing.T) {
	for _, dir := range []string{"../cmd/evalpad", "../cmd/evalhub"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		lines := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines += bytes.Count(b, []byte("\n"))
		}
		if lines == 0 || lines >= 600 {
			t.Errorf("%s: %d lines of non-test code, want under 600", dir, lines)
		}
	}
}
