package escpos

import (
	"bytes"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"evalpad/display"
)

// SimPrinter is the simulated receipt printer of `evalpad sim`: it decodes
// each job, draws the paper, and keeps both. Print and Latest are safe for
// concurrent use; jobs are printed one at a time, in the order Print is
// called.
type SimPrinter struct {
	// Dir keeps every job as NNNN.bin (the bytes received) and NNNN.png
	// (the paper), numbered from 1 on, continuing after the highest number
	// already there. "" keeps only the latest job, in memory.
	Dir   string
	Paper int           // 58 or 80 mm; 0 means 58
	Font  *display.Font // nil: loaded on first Print (see Renderer)
	Log   *slog.Logger  // nil: discard

	printMu sync.Mutex // serializes jobs
	r       *Renderer
	next    int // next job number; 0 until Dir was scanned

	mu        sync.Mutex // guards the latest job
	latestPNG []byte
	latestBin []byte
}

// Print prints one job and returns its number. The job's bytes are kept
// (NNNN.bin) even when they do not decode; the error then says where and
// why, the paper (NNNN.png) is not written, and Latest still shows the
// last job that printed. Errors writing Dir are returned as they are.
func (p *SimPrinter) Print(job []byte) (int, error) {
	p.printMu.Lock()
	defer p.printMu.Unlock()
	if err := p.init(); err != nil {
		return 0, err
	}
	n := p.next
	p.next++
	bin := bytes.Clone(job)
	if err := p.write(n, "bin", bin); err != nil {
		return n, err
	}
	ops, err := Decode(bin)
	if err != nil {
		p.log().Warn("escpos: sim printer: job does not decode", "job", n, "bytes", len(bin), "err", err)
		return n, fmt.Errorf("%w (job %d)", err, n)
	}
	for _, o := range ops {
		if o.Code == Skip {
			p.log().Debug("escpos: sim printer: skipped a command it does not draw", "job", n, "offset", o.Off, "cmd", o.String())
		}
	}
	img, err := p.r.Render(ops)
	if err != nil {
		p.log().Warn("escpos: sim printer: job does not print", "job", n, "err", err)
		return n, fmt.Errorf("%w (job %d)", err, n)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return n, fmt.Errorf("escpos: job %d: png: %w", n, err)
	}
	if err := p.write(n, "png", b.Bytes()); err != nil {
		return n, err
	}
	p.mu.Lock()
	p.latestPNG, p.latestBin = b.Bytes(), bin
	p.mu.Unlock()
	p.log().Info("escpos: sim printer: printed", "job", n, "bytes", len(bin), "paper_dots", img.Rect.Dy())
	return n, nil
}

// Latest returns the paper and the bytes of the last job that printed;
// ok is false before the first. The slices must not be modified.
func (p *SimPrinter) Latest() (png, bin []byte, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latestPNG, p.latestBin, p.latestPNG != nil
}

func (p *SimPrinter) log() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// init sets up the renderer and the job numbering on first use.
func (p *SimPrinter) init() error {
	if p.r != nil {
		return nil
	}
	paper := p.Paper
	if paper == 0 {
		paper = 58
	}
	dots, err := DotsFor(paper)
	if err != nil {
		return err
	}
	next := 1
	if p.Dir != "" {
		// Receipts name cases and staff: the directory and files are the
		// pad's alone (an older one made 0755 is tightened).
		if err := os.MkdirAll(p.Dir, 0o700); err != nil {
			return fmt.Errorf("escpos: sim printer: %w", err)
		}
		if err := os.Chmod(p.Dir, 0o700); err != nil {
			return fmt.Errorf("escpos: sim printer: %w", err)
		}
		des, err := os.ReadDir(p.Dir)
		if err != nil {
			return fmt.Errorf("escpos: sim printer: %w", err)
		}
		for _, de := range des {
			num, ok := strings.CutSuffix(de.Name(), ".bin")
			if k, err := strconv.Atoi(num); ok && err == nil && k >= next {
				next = k + 1
			}
		}
	}
	p.r = &Renderer{Dots: dots, Font: p.Font}
	p.next = next
	return nil
}

// write stores a job's file through a temporary name, so a reader never
// sees half a file.
func (p *SimPrinter) write(n int, ext string, data []byte) error {
	if p.Dir == "" {
		return nil
	}
	name := filepath.Join(p.Dir, fmt.Sprintf("%04d.%s", n, ext))
	tmp := name + ".tmp"
	os.Remove(tmp) // one left by a crash keeps its mode through O_TRUNC; a new one is 0600
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("escpos: sim printer: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("escpos: sim printer: %w", err)
	}
	return nil
}
