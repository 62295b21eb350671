package protocol

import (
	"fmt"

	"evalpad/rating"
)

// checkRecordTexts checks every string of a record the central ingests
// with rating.CheckText: a record carrying a bidi override or a zero-width
// character in its hall, staff name or task name would show the central's
// reader another text than the one stored. The error names the field.
func checkRecordTexts(r rating.Record) error {
	fields := []struct{ name, v string }{
		{"area_code", r.AreaCode}, {"hall", r.Hall}, {"window", r.Window}, {"channel", r.Channel},
		{"target", r.Target}, {"sig", r.Sig}, {"staff.id", r.Staff.ID}, {"staff.name", r.Staff.Name},
	}
	for _, f := range fields {
		if err := rating.CheckText(f.v); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	for i, c := range r.Cases {
		for _, f := range []struct{ name, v string }{{"project_no", c.ProjectNo}, {"task_code", c.TaskCode}, {"task_name", c.TaskName}} {
			if err := rating.CheckText(f.v); err != nil {
				return fmt.Errorf("cases[%d].%s: %w", i, f.name, err)
			}
		}
	}
	for _, list := range []struct {
		name string
		vs   []string
	}{{"reasons", r.Reasons}, {"flags", r.Flags}} {
		for i, v := range list.vs {
			if err := rating.CheckText(v); err != nil {
				return fmt.Errorf("%s[%d]: %w", list.name, i, err)
			}
		}
	}
	return nil
}
