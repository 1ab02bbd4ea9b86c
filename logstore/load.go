package logstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// load reads the newest records of every function (the last d.max bytes of
// its previous and current segments together), oldest first per function.
// A record written twice (Running, then finished) keeps the place of its
// first line and the content of its last; the attempts of an async
// invocation, which share its request id, are records of their own. Lines that do not parse, such as
// a last line cut by a crash, are skipped. A directory from before segments
// holds only current segments, which load as they are.
func (d *disk) load() ([]Record, error) {
	cur, err := filepath.Glob(filepath.Join(d.dir, "*"+fileExt))
	if err != nil {
		return nil, fmt.Errorf("list log files: %w", err)
	}
	prev, err := filepath.Glob(filepath.Join(d.dir, "*"+prevExt))
	if err != nil {
		return nil, fmt.Errorf("list log files: %w", err)
	}
	// A previous segment without a current one is the state between a
	// rotation's rename and the new segment's creation: it loads alone.
	bases := make([]string, 0, len(cur)+len(prev))
	for _, p := range cur {
		bases = append(bases, strings.TrimSuffix(p, fileExt))
	}
	for _, p := range prev {
		bases = append(bases, strings.TrimSuffix(p, prevExt))
	}
	slices.Sort(bases)
	var out []Record
	for _, base := range slices.Compact(bases) {
		recs, skipped, err := readSegments(d.max, base+prevExt, base+fileExt)
		if err != nil {
			return nil, err
		}
		if skipped > 0 {
			d.log.Warn("skipped unreadable log lines", "file", base+fileExt, "lines", skipped)
		}
		out = append(out, recs...)
	}
	return out, nil
}

// readSegments parses the newest limit bytes of the files in paths, oldest
// file first, as one log. A missing file is an empty one.
func readSegments(limit int64, paths ...string) (recs []Record, skipped int, err error) {
	datas := make([][]byte, len(paths))
	for i := len(paths) - 1; i >= 0 && limit > 0; i-- {
		data, err := readEnd(paths[i], limit)
		if err != nil {
			return nil, 0, err
		}
		limit -= int64(len(data))
		datas[i] = data
	}
	index := make(map[attempt]int)
	for _, data := range datas {
		recs, skipped = parseLines(data, recs, index, skipped)
	}
	return recs, skipped, nil
}

// readEnd returns the whole lines among the last limit bytes of path (the
// last one possibly cut by a crash), nil when path does not exist.
func readEnd(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat log file: %w", err)
	}
	off := max(st.Size()-limit, 0)
	data := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(data, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read log file %s: %w", path, err)
	}
	if off > 0 { // started mid-line: drop the fragment
		data = dropFragment(data)
	}
	return data, nil
}

// attempt identifies a record among a function's lines: the request id,
// and which retry of an async invocation it is.
type attempt struct {
	requestID string
	retry     int
}

// parseLines appends the records of data's lines to recs; index maps an
// attempt to its place in recs, so that a later line replaces it.
func parseLines(data []byte, recs []Record, index map[attempt]int, skipped int) ([]Record, int) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if json.Unmarshal(line, &r) != nil || r.RequestID == "" || r.Function == "" {
			skipped++
			continue
		}
		if r.Namespace == "" {
			r.Namespace = "default"
		}
		a := attempt{r.RequestID, r.RetryNum}
		if i, ok := index[a]; ok {
			recs[i] = r
			continue
		}
		index[a] = len(recs)
		recs = append(recs, r)
	}
	return recs, skipped
}
