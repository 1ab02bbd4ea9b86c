package logstore

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// StatusFilter selects records by outcome, with the values of
// GetFunctionLogs' Filter.RetCode.
type StatusFilter string

// The status filters. Running records match only FilterAll.
const (
	FilterAll                   StatusFilter = ""
	FilterIs0                   StatusFilter = "is0"                   // finished with 200
	FilterNot0                  StatusFilter = "not0"                  // finished with any other status
	FilterTimeLimitExceeded     StatusFilter = "TimeLimitExceeded"     // 433
	FilterResourceLimitExceeded StatusFilter = "ResourceLimitExceeded" // 434 memory, 432 concurrency
	FilterUserCodeException     StatusFilter = "UserCodeException"     // 430
)

// ParseStatusFilter checks a RetCode filter from the cloud API. Unknown values
// wrap ErrInvalidFilter.
func ParseStatusFilter(s string) (StatusFilter, error) {
	switch f := StatusFilter(s); f {
	case FilterAll, FilterIs0, FilterNot0, FilterTimeLimitExceeded, FilterResourceLimitExceeded, FilterUserCodeException:
		return f, nil
	}
	return "", fmt.Errorf("retcode filter %q is not one of is0, not0, TimeLimitExceeded, ResourceLimitExceeded, UserCodeException: %w", s, ErrInvalidFilter)
}

func (f StatusFilter) match(r *Record) bool {
	if f == FilterAll {
		return true
	}
	if r.Running {
		return false
	}
	switch f {
	case FilterIs0:
		return !r.failed()
	case FilterNot0:
		return r.failed()
	case FilterTimeLimitExceeded:
		return r.Status == 433
	case FilterResourceLimitExceeded:
		return r.Status == 434 || r.Status == 432
	case FilterUserCodeException:
		return r.Status == 430
	}
	return false // unknown filters match nothing rather than everything
}

// Orders and sort keys for Query.
const (
	OrderDesc = "desc"
	OrderAsc  = "asc"

	OrderByStartTime    = "start_time"
	OrderByDuration     = "duration"
	OrderByMemUsage     = "mem_usage"
	OrderByFunctionName = "function_name"
)

// Query selects records. Zero fields do not filter.
type Query struct {
	Namespace string // "" matches every namespace
	Function  string // "" matches every function
	// Qualifier matches a record's Qualifier (as asked), Version (that ran)
	// or Alias, so "2" finds every run of version 2 however it was reached.
	Qualifier string
	RequestID string
	// Since and Until bound StartTime, both inclusive.
	Since, Until time.Time
	Status       StatusFilter
	// Offset skips records of the sorted result; Limit caps the page, 0 for no cap.
	Offset, Limit int
	// Order is OrderDesc (newest first, the default) or OrderAsc.
	Order string
	// OrderBy is OrderByStartTime (default), OrderByDuration, OrderByMemUsage
	// or OrderByFunctionName; ties keep append order.
	OrderBy string
}

func (q *Query) match(r *Record) bool {
	switch {
	case q.Namespace != "" && r.Namespace != q.Namespace,
		q.Function != "" && r.Function != q.Function,
		q.RequestID != "" && r.RequestID != q.RequestID,
		q.Qualifier != "" && r.Qualifier != q.Qualifier && r.Version != q.Qualifier && r.Alias != q.Qualifier,
		!q.Since.IsZero() && r.StartTime.Before(q.Since),
		!q.Until.IsZero() && r.StartTime.After(q.Until):
		return false
	}
	return q.Status.match(r)
}

// Query returns one page of the matching records and the number of matches
// before paging.
func (s *Store) Query(q Query) ([]Record, int) {
	var out []Record
	s.mu.Lock()
	// Rings in key order, so ties sort the same way on every call.
	keys := make([]fnKey, 0, len(s.rings))
	for k := range s.rings {
		if (q.Function == "" || k.function == q.Function) && (q.Namespace == "" || k.namespace == q.Namespace) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b fnKey) int {
		return cmpThen(strings.Compare(a.namespace, b.namespace), func() int { return strings.Compare(a.function, b.function) })
	})
	for _, k := range keys {
		live := s.rings[k].live()
		for i := range live {
			if q.match(&live[i]) {
				out = append(out, live[i])
			}
		}
	}
	s.mu.Unlock()

	cmp := compareBy(q.OrderBy)
	if q.Order == OrderAsc {
		slices.SortStableFunc(out, cmp)
	} else {
		// Newest first, ties included: reverse append order, then sort stably.
		slices.Reverse(out)
		slices.SortStableFunc(out, func(a, b Record) int { return cmp(b, a) })
	}
	total := len(out)
	lo := min(max(q.Offset, 0), total)
	hi := total
	if q.Limit > 0 {
		hi = lo + min(q.Limit, total-lo) // lo+q.Limit could overflow
	}
	return slices.Clip(out[lo:hi]), total
}

func compareBy(orderBy string) func(a, b Record) int {
	byStart := func(a, b Record) int { return a.StartTime.Compare(b.StartTime) }
	switch orderBy {
	case OrderByDuration:
		return func(a, b Record) int {
			return cmpThen(cmpInt(a.Duration, b.Duration), func() int { return byStart(a, b) })
		}
	case OrderByMemUsage:
		return func(a, b Record) int {
			return cmpThen(cmpInt(a.MemUsage, b.MemUsage), func() int { return byStart(a, b) })
		}
	case OrderByFunctionName:
		return func(a, b Record) int {
			c := cmpThen(strings.Compare(a.Namespace, b.Namespace), func() int { return strings.Compare(a.Function, b.Function) })
			return cmpThen(c, func() int { return byStart(a, b) })
		}
	}
	return byStart
}

// cmpThen returns c, or next() when c is a tie.
func cmpThen(c int, next func() int) int {
	if c != 0 {
		return c
	}
	return next()
}

func cmpInt[T ~int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
