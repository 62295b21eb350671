package firmware

import (
	"os/exec"
	"strings"
	"testing"
)

// The update logic stands on its own: it imports nothing of the pad
// (agent, pad, device, the MQTT link, the store), only trust and the
// protocol's types; the agent puts it together with the rest.
func TestImportsNothingOfThePad(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "evalpad/firmware").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, banned := range []string{"evalpad/agent", "evalpad/pad", "evalpad/device", "evalpad/sync/link", "evalpad/store"} {
			if p == banned || strings.HasPrefix(p, banned+"/") {
				t.Errorf("evalpad/firmware depends on %s", p)
			}
		}
	}
}
