package rollout

import (
	"strings"
	"time"
)

// Schedule is a named traffic-shifting schedule.
type Schedule struct {
	Name     string
	Steps    []float64 // fractions of traffic on the new version; the last is 1
	Interval time.Duration
}

// tenths is the linear schedules' steps: 10%, 20% ... 100%.
var tenths = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}

// schedules is the AWS CodeDeploy set for Lambda: canary (10% for the
// interval, then the rest), linear (10% more every interval) and all at once.
var schedules = []Schedule{
	{"Canary10Percent5Minutes", []float64{0.1, 1}, 5 * time.Minute},
	{"Canary10Percent10Minutes", []float64{0.1, 1}, 10 * time.Minute},
	{"Canary10Percent15Minutes", []float64{0.1, 1}, 15 * time.Minute},
	{"Canary10Percent30Minutes", []float64{0.1, 1}, 30 * time.Minute},
	{"Linear10PercentEvery1Minute", tenths, time.Minute},
	{"Linear10PercentEvery2Minutes", tenths, 2 * time.Minute},
	{"Linear10PercentEvery3Minutes", tenths, 3 * time.Minute},
	{"Linear10PercentEvery10Minutes", tenths, 10 * time.Minute},
	{"AllAtOnce", []float64{1}, 0},
}

// Schedules returns the named schedules, canaries first.
func Schedules() []Schedule {
	out := make([]Schedule, len(schedules))
	for i, s := range schedules {
		s.Steps = append([]float64(nil), s.Steps...)
		out[i] = s
	}
	return out
}

// ScheduleByName finds a named schedule, ignoring case. Errors wrap
// ErrInvalidPlan and list the names.
func ScheduleByName(name string) (Schedule, error) {
	for _, s := range schedules {
		if strings.EqualFold(s.Name, name) {
			s.Steps = append([]float64(nil), s.Steps...)
			return s, nil
		}
	}
	names := make([]string, len(schedules))
	for i, s := range schedules {
		names[i] = s.Name
	}
	return Schedule{}, invalid("schedule %q is unknown; want one of %s", name, strings.Join(names, ", "))
}
