package printer

import "fmt"

// Status is what the pad reports about its printer.
type Status struct {
	Online       bool   // reachable, answering, and not offline
	PaperOut     bool   // paper roll end (n=2 bit 5, n=4 bits 5-6)
	PaperNearEnd bool   // paper roll near its end (n=4 bits 2-3)
	CoverOpen    bool   // n=2 bit 2
	Offline      bool   // the printer says it is offline (n=1 bit 3)
	Error        bool   // n=2 bit 6 or any n=3 error bit (bit 2 not with Profile.BlackMark)
	MarkError    bool   // Profile.BlackMark: n=3 bit 2, the black mark was not found (paper loaded wrongly)
	Presenting   bool   // Profile.Presenter: a receipt waits at the presenter (n=4 bit 6 clear); not a fault
	LastError    string // the latest failure (job, link or status), "" if none yet
	Jobs         int    // jobs written in full
	Failed       int    // jobs that failed (not retried)
	Queued       int    // jobs waiting
}

// DLE EOT n queries and the bits of their replies.
const (
	dle = 0x10
	eot = 0x04

	replyMask  = 0x93 // bits 0, 1, 4, 7 …
	replyFixed = 0x12 // … are 0, 1, 1, 0 in every reply

	n1Offline = 0x08

	n2CoverOpen = 0x04
	n2PaperEnd  = 0x20
	n2Error     = 0x40

	n3Errors    = 0x04 | 0x08 | 0x20 | 0x40 // mechanical, autocutter, unrecoverable, auto-recoverable
	n3BlackMark = 0x04                      // Profile.BlackMark: bit 2 is the black-mark error

	n4NearEnd   = 0x0C
	n4End       = 0x60
	n4Presenter = 0x40 // Profile.Presenter: bit 6 is "no paper at the presenter"
)

// replies are the answers to DLE EOT 1, 2, 3 and 4.
type replies [4]byte

// decode sets the printer condition fields of s from r, read as profile
// p says; counters and LastError are left alone.
func (r replies) decode(s *Status, p Profile) error {
	for i, b := range r {
		if b&replyMask != replyFixed {
			return fmt.Errorf("%w: %#02x to DLE EOT %d", ErrBadReply, b, i+1)
		}
	}
	s.Offline = r[0]&n1Offline != 0
	s.CoverOpen = r[1]&n2CoverOpen != 0
	end, errs := byte(n4End), byte(n3Errors)
	if p.Presenter {
		end &^= n4Presenter
		s.Presenting = r[3]&n4Presenter == 0
	}
	if p.BlackMark {
		errs &^= n3BlackMark
		s.MarkError = r[2]&n3BlackMark != 0
	}
	s.PaperOut = r[1]&n2PaperEnd != 0 || r[3]&end != 0
	s.PaperNearEnd = r[3]&n4NearEnd != 0
	s.Error = r[1]&n2Error != 0 || r[2]&errs != 0
	s.Online = !s.Offline
	return nil
}
