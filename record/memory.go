package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// Memory is a recording directory as the engine's monitor.Memory: at start, the engine
// reloads its window from it.
type Memory struct {
	Dir string
}

func (m *Memory) Name() string { return "recordings in " + m.Dir }

// recallBatch is how many outcomes of a number are filed at once: the engine works its
// figures out again after each batch, not after each poll.
const recallBatch = 64

// Recall reads the recording from from to to and gives the engine the watched numbers'
// polls, interpreted through the real decoder, and their events. What it had to skip
// (a torn tail after a crash) comes as one notice event. A directory that does not
// exist yet holds nothing.
func (m *Memory) Recall(ctx context.Context, numbers []string, from, to time.Time, file func(i int, outs []source.Outcome), event func(monitor.Event)) error {
	files, err := Segments(m.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	index := make(map[string]int, len(numbers))
	for i, n := range numbers {
		index[n] = i
	}
	// Decoding is most of the work: one decoder per processor, each with its share of
	// the numbers, so that each number's polls stay in order. file and event are called
	// one at a time.
	var mu sync.Mutex
	workers := runtime.GOMAXPROCS(0)
	jobs := make([]chan Entry, workers)
	var wg sync.WaitGroup
	for w := range jobs {
		jobs[w] = make(chan Entry, 256)
		wg.Go(func() {
			batches := map[int][]source.Outcome{}
			flush := func(i int) {
				mu.Lock()
				file(i, batches[i])
				mu.Unlock()
				batches[i] = batches[i][:0]
			}
			for e := range jobs[w] {
				i := index[e.Number]
				snap, err := e.Poll.Outcome(e.Number, e.At)
				batches[i] = append(batches[i], source.Outcome{Snap: snap, Err: err})
				if len(batches[i]) == recallBatch {
					flush(i)
				}
			}
			for i, b := range batches {
				if len(b) > 0 {
					flush(i)
				}
			}
		})
	}
	r := NewReader(files, from)
	defer r.Close()
	var readErr error
	for k := 0; ; k++ {
		if k%256 == 0 && ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
		e, err := r.Next()
		if errors.Is(err, io.EOF) || err == nil && e.At.After(to) {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		i, ok := index[e.Number]
		switch {
		case !ok:
		case e.Event != nil:
			mu.Lock()
			event(*e.Event)
			mu.Unlock()
		case e.Poll != nil:
			jobs[i%workers] <- e
		}
	}
	for _, c := range jobs {
		close(c)
	}
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	if w := r.Warnings(); len(w) > 0 {
		reason := w[0]
		if len(w) > 1 {
			reason += fmt.Sprintf(" (and %d more)", len(w)-1)
		}
		event(monitor.Event{Index: -1, Kind: monitor.EventNotice, Reason: "recording: " + reason})
	}
	return nil
}
