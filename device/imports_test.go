package device

import (
	"os/exec"
	"strings"
	"testing"
)

// The drivers import no business logic: nothing under device/ depends on
// the pad, the store, the sync, the agent or the central, directly or not.
func TestDriversImportNoBusinessLogic(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, banned := range []string{"evalpad/pad", "evalpad/store", "evalpad/sync", "evalpad/agent", "evalpad/central"} {
			if p == banned || strings.HasPrefix(p, banned+"/") {
				t.Errorf("a package under device/ depends on %s", p)
			}
		}
	}
}
