package printer

import "errors"

// Sentinel errors of the package; test with errors.Is.
var (
	// ErrURI: a printer URI that cannot be used. Permanent.
	ErrURI = errors.New("printer: bad URI")
	// ErrQueueFull: Print found the queue full; the job was not taken.
	// Transient: the queue drains as the printer prints or jobs time out.
	ErrQueueFull = errors.New("printer: queue full")
	// ErrClosed: Print after Close.
	ErrClosed = errors.New("printer: closed")
	// ErrWriteTimeout: a job or a status query was not written within
	// Options.WriteTimeout (printer stalled, out of paper with a full
	// buffer, link down).
	ErrWriteTimeout = errors.New("printer: write timed out")
	// ErrNoReply: the printer did not answer a DLE EOT status query within
	// Options.ReplyTimeout.
	ErrNoReply = errors.New("printer: no status reply")
	// ErrBadReply: a byte that is not a DLE EOT status reply.
	ErrBadReply = errors.New("printer: bad status reply")
)
