package evdev

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"
)

// Retry defaults for a device that is missing or went away.
const (
	DefaultMinRetry = 100 * time.Millisecond
	DefaultMaxRetry = 2 * time.Second
)

// ErrGone reports a device that ended its stream (EOF, as a FIFO or file
// does) or was unplugged (ENODEV).
var ErrGone = errors.New("evdev: device gone")

// follower opens a device path, runs a session on it, and reopens it when it
// goes away, until ctx ends.
type follower struct {
	path     string
	min, max time.Duration
	log      *slog.Logger
}

func newFollower(path string, lo, hi time.Duration, log *slog.Logger) follower {
	if lo <= 0 {
		lo = DefaultMinRetry
	}
	if hi <= 0 {
		hi = DefaultMaxRetry
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return follower{path: path, min: lo, max: max(hi, lo), log: log}
}

// run calls session with each opening of the path. session returns how many
// events it handled and why it stopped. Retries back off from min to max and
// restart from min after a session that handled events. run returns
// ctx.Err() once ctx ends.
func (fl follower) run(ctx context.Context, session func(f *os.File) (int, error)) error {
	backoff := fl.min
	lastErr := ""
	announce := true // log the next open at Info
	for {
		n, err := fl.once(ctx, session, announce)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > 0 {
			backoff = fl.min
		}
		announce = n > 0
		if msg := err.Error(); msg != lastErr {
			announce = true
			fl.log.Warn("evdev: device unavailable; retrying", "path", fl.path, "err", err)
			lastErr = msg
		} else {
			fl.log.Debug("evdev: retry", "path", fl.path, "err", err, "backoff", backoff)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, fl.max)
	}
}

// once opens the path and runs one session. The file is opened
// non-blocking, so reads wait in the runtime poller and closing the file
// when ctx ends interrupts them (and a FIFO opens without a writer).
func (fl follower) once(ctx context.Context, session func(f *os.File) (int, error), announce bool) (int, error) {
	f, err := os.OpenFile(fl.path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	level := slog.LevelDebug
	if announce {
		level = slog.LevelInfo
	}
	fl.log.Log(ctx, level, "evdev: opened", "path", fl.path)
	n, err := session(f)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		err = ErrGone
	case errors.Is(err, syscall.ENODEV):
		err = errors.Join(ErrGone, err)
	}
	if n > 0 {
		fl.log.Info("evdev: device went away", "path", fl.path, "events", n, "err", err)
	}
	return n, err
}
