package trigger

import (
	"errors"
	"testing"
	"time"
)

func TestCronNext(t *testing.T) {
	base := time.Date(2024, 2, 28, 23, 59, 58, 500, time.UTC) // a Wednesday, leap year
	cases := []struct {
		expr string
		from time.Time
		want []string // successive Next results
	}{
		{"*/5 * * * * * *", base, []string{"2024-02-29T00:00:00Z", "2024-02-29T00:00:05Z", "2024-02-29T00:00:10Z"}},
		{"* * * * * * *", base, []string{"2024-02-28T23:59:59Z", "2024-02-29T00:00:00Z"}},
		{"0 0 12 * * WED *", base, []string{"2024-03-06T12:00:00Z", "2024-03-13T12:00:00Z"}},
		{"0 0 12 * * wed *", base, []string{"2024-03-06T12:00:00Z"}},
		{"0 30 9 * * MON-FRI *", base, []string{"2024-02-29T09:30:00Z", "2024-03-01T09:30:00Z", "2024-03-04T09:30:00Z"}},
		{"0 0 0 29 2 * *", base, []string{"2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"}},
		{"0 0 0 1 JAN,JUL * *", base, []string{"2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z"}},
		{"0 0 0 1 1 * 2026", base, []string{"2026-01-01T00:00:00Z"}},
		{"0 0 0 1 1 * 2020-2022", base, nil},
		{"10-20/5 * * * * * *", base, []string{"2024-02-29T00:00:10Z", "2024-02-29T00:00:15Z", "2024-02-29T00:00:20Z", "2024-02-29T00:01:10Z"}},
		{"30/15 * * * * * *", base, []string{"2024-02-29T00:00:30Z", "2024-02-29T00:00:45Z", "2024-02-29T00:01:30Z"}},
		{"0 0 0 ? * SUN *", base, []string{"2024-03-03T00:00:00Z"}},
		{"0 0 0 * * 7 *", base, []string{"2024-03-03T00:00:00Z"}},
		// day and weekday both restricted: either matches (the 1st, or a Friday)
		{"0 0 0 1 * FRI *", base, []string{"2024-03-01T00:00:00Z", "2024-03-08T00:00:00Z"}},
		{"0 0 8,20 * * * *", base, []string{"2024-02-29T08:00:00Z", "2024-02-29T20:00:00Z"}},
		{"0 0 0 31 * * *", base, []string{"2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z"}},
		{"0 0 0 1 1 * 2099", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		// The legacy five fields (minute hour day month weekday), which the
		// platform still takes: second 0, any year.
		{"*/5 * * * *", base, []string{"2024-02-29T00:00:00Z", "2024-02-29T00:05:00Z"}},
		{"30 9 * * MON-FRI", base, []string{"2024-02-29T09:30:00Z", "2024-03-01T09:30:00Z", "2024-03-04T09:30:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			cr, err := ParseCron(c.expr)
			if err != nil {
				t.Fatal(err)
			}
			at := c.from
			for i, w := range c.want {
				at = cr.Next(at)
				if got := at.Format(time.RFC3339); got != w {
					t.Fatalf("Next #%d = %s, want %s", i, got, w)
				}
			}
			if c.want == nil {
				if got := cr.Next(at); !got.IsZero() {
					t.Fatalf("Next = %s, want none", got)
				}
			}
		})
	}
}

func TestCronNextKeepsLocation(t *testing.T) {
	shanghai := time.FixedZone("UTC+8", 8*3600)
	cr, err := ParseCron("0 0 9 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	got := cr.Next(time.Date(2024, 5, 1, 10, 0, 0, 0, shanghai))
	if want := time.Date(2024, 5, 2, 9, 0, 0, 0, shanghai); !got.Equal(want) || got.Location() != shanghai {
		t.Fatalf("Next = %s, want %s", got, want)
	}
}

func TestParseCronErrors(t *testing.T) {
	for _, expr := range []string{
		"", "* * * *", "* * * * * *", "* * * * * * * *", "60 * * * *", "? * * * *",
		"60 * * * * * *", "* 60 * * * * *", "* * 24 * * * *", "* * * 0 * * *", "* * * 32 * * *",
		"* * * * 13 * *", "* * * * FOO * *", "* * * * * 8 *", "* * * * * * 1969", "* * * * * * 2100",
		"*/0 * * * * * *", "*/x * * * * * *", "5-1 * * * * * *", "1,,2 * * * * * *", "? * * * * * *", "a * * * * * *",
	} {
		t.Run(expr, func(t *testing.T) {
			if _, err := ParseCron(expr); !errors.Is(err, ErrBadCron) {
				t.Fatalf("ParseCron(%q) = %v, want ErrBadCron", expr, err)
			}
		})
	}
}

func TestCronString(t *testing.T) {
	cr, err := ParseCron("  0 0 12 * * WED *  ")
	if err != nil || cr.String() != "0 0 12 * * WED *" {
		t.Fatalf("String = %q, %v", cr.String(), err)
	}
}

// TestCronHugeStep: a step beyond the field's range takes its first value
// only; one near the largest int used to overflow the walk and panic (a
// CreateTrigger TriggerDesc, an emulator.yaml cron).
func TestCronHugeStep(t *testing.T) {
	for _, tc := range []struct{ expr, next string }{
		{"*/9223372036854775807 * * * * * *", "2024-05-01T10:01:00Z"},
		{"0 0 0 1 1 * 2030/9223372036854775807", "2030-01-01T00:00:00Z"},
		{"0 0 0 1 1 * */9223372036854775807", ""}, // 1970 only: never again
	} {
		t.Run(tc.expr, func(t *testing.T) {
			cr, err := ParseCron(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := cr.Next(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
			if tc.next == "" && !got.IsZero() || tc.next != "" && got.Format(time.RFC3339) != tc.next {
				t.Errorf("Next = %s, want %q", got, tc.next)
			}
		})
	}
}
