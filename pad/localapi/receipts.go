package localapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"evalpad/rating"
)

// ReceiptRequest asks for the case receipt (办件回执) of one case.
type ReceiptRequest struct {
	ProjectNo string `json:"project_no"`
	TaskName  string `json:"task_name"`
	StaffID   string `json:"staff_id"` // optional: the staff of the open session, else the one on duty
}

// ReceiptPrinter prints case receipts. PrintReceipt returns the printer's
// job number; it must not block on a slow printer for long.
type ReceiptPrinter interface {
	PrintReceipt(r ReceiptRequest) (job int, err error)
}

// ErrNoPrinter: the pad has no receipt printer configured.
var ErrNoPrinter = errors.New("localapi: no receipt printer")

// ParseReceipt decodes and checks a receipt request (CheckReceipt).
func ParseReceipt(body []byte) (ReceiptRequest, error) {
	var r ReceiptRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return r, errors.New("body must be {\"project_no\":…,\"task_name\":…,\"staff_id\":…}: " + err.Error())
	}
	return CheckReceipt(r)
}

// CheckReceipt validates a receipt request however it came (the LAN, the
// central's print_receipt): personal data in the task name is masked as in
// a session, and the case's fields are checked as a session's are.
func CheckReceipt(r ReceiptRequest) (ReceiptRequest, error) {
	c := rating.Case{ProjectNo: r.ProjectNo, TaskName: rating.MaskPersonal(r.TaskName)}
	if err := c.Validate("project_no", "task_name"); err != nil {
		return r, err
	}
	r.TaskName = c.TaskName
	if r.StaffID != "" {
		if err := rating.CheckID("staff_id", r.StaffID); err != nil {
			return r, err
		}
	}
	return r, nil
}

func (a *API) printReceipt(w http.ResponseWriter, r *http.Request) {
	if a.Receipts == nil {
		Error(w, http.StatusServiceUnavailable, ErrNoPrinter.Error())
		return
	}
	body, err := ReadBody(w, r, 16<<10)
	if err != nil {
		Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	req, err := ParseReceipt(body)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	job, err := a.Receipts.PrintReceipt(req)
	if err != nil {
		a.log().Error("receipt", "project_no", req.ProjectNo, "err", err)
		Error(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	JSON(w, http.StatusOK, map[string]any{"job": job})
}
