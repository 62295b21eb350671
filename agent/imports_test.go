package agent

import (
	"os/exec"
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
