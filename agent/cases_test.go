package agent

import (
	"errors"
	"testing"

	"evalpad/sync/protocol"
)

// print_receipt from the central prints only a case the pad has seen in a
// session: the open one, one since the start, or one a stored record names
// (after a restart too). Any other project number is refused and nothing
// is printed: the pad is no oracle of 扫码评价 tokens.
func TestPrintReceiptOnlyForOwnCases(t *testing.T) {
	cfg := testConfig(t)
	f := newFakes()
	a := build(t, cfg, Parts{Hardware: f.set(), Font: testFont(t)})
	print := func(a *Agent, projectNo string) error {
		return downlink{a}.Command(protocol.Cmd{ID: "c-" + projectNo, Cmd: protocol.CmdPrintReceipt, ProjectNo: projectNo, TaskName: "企业设立登记"})
	}
	if err := print(a, "37090020261125999999"); !errors.Is(err, ErrUnknownCase) {
		t.Fatalf("a case never seen: %v", err)
	}
	if n := len(f.printer.Jobs()); n != 0 {
		t.Fatalf("%d jobs printed for an unknown case", n)
	}
	if _, err := a.OpenSession(ratingSession("S-1")); err != nil {
		t.Fatal(err)
	}
	if err := print(a, "P-S-1"); err != nil {
		t.Fatalf("the open session's case: %v", err)
	}
	if _, err := a.pad.Press(5); err != nil {
		t.Fatal(err)
	}
	if err := print(a, "P-S-1"); err != nil {
		t.Fatalf("the case rated a moment ago: %v", err)
	}
	a.Close()

	f2 := newFakes()
	b := build(t, cfg, Parts{Hardware: f2.set(), Font: testFont(t)})
	if err := print(b, "P-S-1"); err != nil {
		t.Fatalf("after a restart, the stored record's case: %v", err)
	}
	if err := print(b, "37090020261125999999"); !errors.Is(err, ErrUnknownCase) {
		t.Fatalf("after a restart, a case never seen: %v", err)
	}
	if n := len(f2.printer.Jobs()); n != 1 {
		t.Errorf("%d jobs after the restart, want 1", n)
	}
}
