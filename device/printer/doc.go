// Package printer sends ESC/POS jobs to a receipt printer on a serial
// port, a USB printer device file or TCP port 9100, and polls the
// printer's real-time status. It never makes its caller wait on the
// printer: Print queues the job and returns; a worker goroutine owned by
// the Printer writes it, with a time limit.
//
// # Targets
//
//	serial:/dev/ttyS1?baud=19200   8N1; baud defaults to 9600
//	file:/dev/usb/lp0              a usblp device (or any existing file)
//	tcp://10.0.0.5:9100            raw TCP ("JetDirect"); the port defaults to 9100
//
// A serial port or file is opened by Open, so a wrong path is a start-up
// error naming it; a TCP printer is connected by the worker, and again
// after any failure, so a printer switched off at start-up only shows in
// Status.
//
// # Jobs
//
//	Print ──▶ [ queue: Options.QueueSize jobs ] ──▶ worker ──Write──▶ printer
//	  │ full: ErrQueueFull, at once                   │ WriteTimeout per job
//	  └ returns the job's number                      └ failed: Status.Failed,
//	                                                    LastError, logged; never retried
//
// A job that failed is not printed again: part of it may have come out,
// and a receipt printed twice is worse than one the citizen asks for
// again. After a failure the link is closed and reopened for the next job.
//
// # Status (DLE EOT n, real-time status transmission)
//
// Every PollInterval, over a link that can be read (serial, TCP, a usblp
// device that supports it), the worker sends 10 04 n for n = 1…4 and reads
// one byte each. Every reply reads 0xx1xx10 (bit 7 … bit 0): bits 1 and 4
// set, bits 0 and 7 clear; a byte that does not is not a status reply.
//
//	n  asks for       bit 2           bit 3         bit 5             bit 6
//	1  printer        (drawer pin 3)  Offline       (waiting)         (feed button)
//	2  offline cause  CoverOpen       (paper fed)   PaperOut          Error
//	3  error cause    Error: mech.    Error: cutter Error: unrecov.   Error: auto-recov.
//	4  paper sensors  PaperNearEnd    PaperNearEnd  PaperOut          PaperOut
//
// Bits in parentheses are not reported. For example a printer out of
// paper answers 1A 32 12 7E: offline, stopped by paper end, both paper
// sensors set.
//
// Online is true when the last poll was answered and bit 3 of n=1 was
// clear. Each query is written, and its answer awaited, within
// ReplyTimeout; no answer makes the printer not Online, with a LastError
// saying so, and a late answer is discarded before the next poll. Over a
// link that cannot be read (a plain file) Online follows the last write.
//
// # One-way printers
//
// Many USB printers are not bidirectional: their /dev/usb/lp* opens
// read-write and takes a read deadline, but every read fails with EINVAL
// (usblp_read: `if (!usblp->bidir) return -EINVAL`). The first poll that
// meets EINVAL makes the link write-only for good: no more queries, the
// link is kept, and Online follows the writes, so such a printer is never
// reported offline while its receipts print. Options.NoStatus (config
// printer.status = false) does the same from the start, for a one-way
// printer on a link that would not say so (a serial line, TCP).
//
// # Profiles
//
// Options.Profile reads the status bits in a printer's dialect
// (ProfileByName; config printer.profile):
//
//	epson              as above (the default)
//	citizen-presenter  n=4 bit 6 is "no paper at the presenter" (normal when no
//	                   receipt waits; Presenting is its inverse); only bit 5 is paper end
//	gb2312-only        as epson; prints only GB2312 as text (display/receipt
//	                   draws other characters)
//	black-mark         n=3 bit 2 is "black mark not found" (MarkError), not Error
package printer
