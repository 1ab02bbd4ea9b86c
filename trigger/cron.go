package trigger

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadCron is wrapped by every cron parse error.
var ErrBadCron = errors.New("invalid cron expression")

// Year bounds of the platform's cron year field.
const (
	MinYear = 1970
	MaxYear = 2099
)

// cronField describes one of the 7 fields.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i, "" for none
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	cronFields = [7]cronField{
		{name: "second", min: 0, max: 59},
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: monthNames},
		{name: "weekday", min: 0, max: 6, names: dayNames},
		{name: "year", min: MinYear, max: MaxYear},
	}
)

// Cron is a parsed platform cron expression: seven space-separated fields,
// second minute hour day month weekday year (or the legacy five, minute hour
// day month weekday, at second 0 of any year), each "*", "?" (day and weekday
// only, same as "*"), a value, a range a-b, a step */n or a-b/n, or a
// comma list of those; months and weekdays also by English three-letter
// name. Like Vixie cron, when both day and weekday are restricted a time
// matches either; otherwise both must match.
type Cron struct {
	expr string
	// sets[i] has bit v-min set when value v is allowed in field i; the year
	// field needs 130 bits, hence two words.
	sets     [7][3]uint64
	dayStar  bool
	weekStar bool
}

// String returns the expression as parsed.
func (c Cron) String() string { return c.expr }

// ParseCron parses a 7-field cron expression such as "*/5 * * * * * *" or
// "0 0 12 * * WED *".
func ParseCron(expr string) (Cron, error) {
	c := Cron{expr: strings.TrimSpace(expr)}
	parts := strings.Fields(c.expr)
	if len(parts) == 5 {
		// The legacy form the platform still takes for older timers:
		// minute hour day month weekday, at second 0 of any year.
		parts = append(append([]string{"0"}, parts...), "*")
	}
	if len(parts) != 7 {
		return Cron{}, fmt.Errorf("%w: %q has %d fields; the platform's cron has 7 (second minute hour day month weekday year), such as \"*/5 * * * * * *\", or the legacy 5 (minute hour day month weekday)",
			ErrBadCron, expr, len(parts))
	}
	for i, p := range parts {
		f := cronFields[i]
		if p == "?" && (i == 3 || i == 5) {
			p = "*"
		}
		star, err := c.parseField(i, f, p)
		if err != nil {
			return Cron{}, fmt.Errorf("%w: %q: %s field %q: %v", ErrBadCron, expr, f.name, parts[i], err)
		}
		switch i {
		case 3:
			c.dayStar = star
		case 5:
			c.weekStar = star
		}
	}
	return c, nil
}

// parseField fills field i from spec and reports whether it was a bare "*".
func (c *Cron) parseField(i int, f cronField, spec string) (bool, error) {
	for item := range strings.SplitSeq(spec, ",") {
		if item == "" {
			return false, errors.New("empty list item")
		}
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 {
				return false, fmt.Errorf("step %q must be a positive number", stepStr)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return false, err
			}
			if hi, err = f.value(b); err != nil {
				return false, err
			}
			if lo > hi {
				return false, fmt.Errorf("range %s has its start after its end", rng)
			}
		default:
			v, err := f.value(rng)
			if err != nil {
				return false, err
			}
			lo, hi = v, v
			if hasStep {
				hi = f.max
			}
		}
		// Compared as a distance, so that a step near the largest int cannot
		// overflow the walk.
		for v := lo; ; v += step {
			c.sets[i][(v-f.min)/64] |= 1 << uint((v-f.min)%64)
			if hi-v < step {
				break
			}
		}
		if spec == "*" {
			return true, nil
		}
	}
	return false, nil
}

// value reads a number or a name within the field's bounds. Weekday 7 is
// Sunday, as in most crons.
func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if f.name == "weekday" && v == 7 {
		return 0, nil
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, f.min, f.max)
	}
	return v, nil
}

func (c *Cron) has(i, v int) bool {
	v -= cronFields[i].min
	if v < 0 || v >= 192 {
		return false
	}
	return c.sets[i][v/64]&(1<<uint(v%64)) != 0
}

func (c *Cron) dayMatches(t time.Time) bool {
	day, week := c.has(3, t.Day()), c.has(5, int(t.Weekday()))
	if !c.dayStar && !c.weekStar {
		return day || week
	}
	return day && week
}

// Next returns the first time after t, to the second and in t's location,
// that the expression matches, or the zero time when none is left before
// the end of MaxYear.
func (c Cron) Next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Truncate(time.Second).Add(time.Second)
	// Each pass moves t to the start of the next candidate unit; it
	// terminates because every pass advances t and years are bounded.
	for t.Year() <= MaxYear {
		switch {
		case !c.has(6, t.Year()):
			t = time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, loc)
		case !c.has(4, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case !c.has(2, t.Hour()):
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
		case !c.has(1, t.Minute()):
			t = t.Truncate(time.Minute).Add(time.Minute)
		case !c.has(0, t.Second()):
			t = t.Add(time.Second)
		default:
			return t
		}
	}
	return time.Time{}
}
