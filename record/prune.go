package record

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Prune removes, from dir, the segments last written more than keep before now, then the
// oldest segments until the rest fit in maxSize. It never removes active (the segment
// being written, by path) nor a file that is not a segment. It returns what it removed.
func Prune(dir string, keep time.Duration, maxSize int64, now time.Time, active string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, segmentPattern))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	type seg struct {
		path string
		size int64
		mod  time.Time
	}
	var segs []seg
	var total int64
	for _, f := range files {
		fi, err := os.Lstat(f)
		if err != nil || !fi.Mode().IsRegular() {
			continue // gone meanwhile, or not a file of ours
		}
		segs = append(segs, seg{f, fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	var removed []string
	var errs []error
	remove := func(s seg) {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			return
		}
		removed = append(removed, s.path)
		total -= s.size
	}
	kept := segs[:0]
	for _, s := range segs {
		if s.path != active && now.Sub(s.mod) > keep {
			remove(s)
			continue
		}
		kept = append(kept, s)
	}
	for _, s := range kept {
		if total <= maxSize {
			break
		}
		if s.path != active {
			remove(s)
		}
	}
	return removed, errors.Join(errs...)
}
