package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func apigw(name, stage, path, method, qualifier string) Trigger {
	return Trigger{Name: name, Type: TriggerAPIGateway, Service: "A", Stage: stage, Path: path, Method: method,
		Qualifier: qualifier, Enabled: true, Desc: `{"service":{"serviceName":"A"}}`}
}

func TestCreateTrigger(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 1)
	if err := r.CreateAlias("B", Alias{Name: "release", FunctionVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	rec := record(r)
	got, err := r.CreateTrigger("B", apigw("b-release", "release", "/hello", "any", "release"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Function != "B" || got.Method != "ANY" || got.AddTime.IsZero() || got.ModTime != got.AddTime || got.Qualifier != "release" {
		t.Errorf("stored trigger = %+v", got)
	}
	if c := rec.last(); c.Kind != ChangeTrigger || c.Function != "B" || c.Trigger != "b-release" {
		t.Errorf("change = %+v", c)
	}
	def, err := r.CreateTrigger("B", apigw("b-dev", "dev", "/hello", "GET", ""))
	if err != nil || def.Qualifier != Default {
		t.Fatalf("empty qualifier: %+v %v, want $DEFAULT", def, err)
	}
	ts, _ := r.Triggers("B")
	if len(ts) != 2 || ts[0].Name != "b-dev" || ts[1].Name != "b-release" {
		t.Errorf("Triggers = %+v", ts)
	}

	if err := r.Define(context.Background(), testSpec("C", src)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fn   string
		t    Trigger
		want error
	}{
		{"bad name", "B", apigw("-x", "release", "/a", "GET", ""), ErrInvalidTrigger},
		{"timer", "B", func() Trigger { tr := apigw("t", "release", "/a", "GET", ""); tr.Type = "timer"; return tr }(), ErrInvalidTrigger},
		{"bad service", "B", func() Trigger { tr := apigw("t", "release", "/a", "GET", ""); tr.Service = "a b"; return tr }(), ErrInvalidTrigger},
		{"no stage", "B", apigw("t", "", "/a", "GET", ""), ErrInvalidTrigger},
		{"bad method", "B", apigw("t", "release", "/a", "FETCH", ""), ErrInvalidTrigger},
		{"relative path", "B", apigw("t", "release", "a", "GET", ""), ErrInvalidTrigger},
		{"query in path", "B", apigw("t", "release", "/a?b=1", "GET", ""), ErrInvalidTrigger},
		{"unbalanced braces", "B", apigw("t", "release", "/users/{id", "GET", ""), ErrInvalidTrigger},
		{"nested braces", "B", apigw("t", "release", "/{a{b}}", "GET", ""), ErrInvalidTrigger},
		{"exact path with braces", "B", apigw("t", "release", "=/users/{id}", "GET", ""), ErrInvalidTrigger},
		{"two path marks", "B", apigw("t", "release", "=^~/a", "GET", ""), ErrInvalidTrigger},
		{"mark without slash", "B", apigw("t", "release", "^~a", "GET", ""), ErrInvalidTrigger},
		{"name taken", "B", apigw("b-dev", "test", "/other", "GET", ""), ErrTriggerExists},
		{"same route, ANY covers GET", "C", apigw("c", "release", "/hello", "GET", ""), ErrTriggerConflict},
		{"same route and method", "C", apigw("c", "dev", "/hello", "GET", ""), ErrTriggerConflict},
		{"missing alias", "B", apigw("t", "test", "/a", "GET", "canary"), ErrAliasNotFound},
		{"missing version", "B", apigw("t", "test", "/a", "GET", "9"), ErrVersionNotFound},
		{"bad qualifier", "B", apigw("t", "test", "/a", "GET", "$X"), ErrInvalidQualifier},
		{"missing function", "nope", apigw("t", "test", "/a", "GET", ""), ErrFunctionNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.CreateTrigger(tc.fn, tc.t); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Other method, stage or service on the same path is fine.
	for _, tr := range []Trigger{
		apigw("c1", "dev", "/hello", "POST", ""),
		apigw("c2", "prepub", "/hello", "ANY", Latest),
		func() Trigger { tr := apigw("c3", "release", "/hello", "ANY", Latest); tr.Service = "other"; return tr }(),
		// The platform's exact and prefix paths are APIs of their own.
		apigw("c4", "release", "=/hello", "ANY", Latest),
		apigw("c5", "release", "^~/hello", "ANY", Latest),
	} {
		if _, err := r.CreateTrigger("C", tr); err != nil {
			t.Errorf("%s: %v", tr.Name, err)
		}
	}
	all := r.AllTriggers()
	var names []string
	for _, tr := range all {
		names = append(names, tr.Function+"/"+tr.Name)
	}
	if want := []string{"B/b-dev", "B/b-release", "C/c1", "C/c2", "C/c3", "C/c4", "C/c5"}; !reflect.DeepEqual(names, want) {
		t.Errorf("AllTriggers = %v, want %v", names, want)
	}
}

func TestTriggerLimit(t *testing.T) {
	r, _ := setup(t, nil)
	for i := range MaxTriggersPerType {
		if _, err := r.CreateTrigger("B", apigw(fmt.Sprintf("t%d", i), "release", fmt.Sprintf("/p%d", i), "GET", "")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.CreateTrigger("B", apigw("one-more", "release", "/x", "GET", "")); !errors.Is(err, ErrTriggerLimit) {
		t.Errorf("err = %v, want ErrTriggerLimit", err)
	}
}

func TestDeleteTriggerAndPersistence(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "v0"})
	r := openAt(t, dir, nil)
	ctx := context.Background()
	if err := r.Define(ctx, testSpec("B", src)); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateAlias("B", Alias{Name: "prepub"}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []Trigger{apigw("keep", "release", "/a", "ANY", "prepub"), apigw("drop", "test", "/a", "ANY", "")} {
		if _, err := r.CreateTrigger("B", tr); err != nil {
			t.Fatal(err)
		}
	}
	rec := record(r)
	if err := r.DeleteTrigger("B", "drop"); err != nil {
		t.Fatal(err)
	}
	if c := rec.last(); c.Kind != ChangeTrigger || c.Trigger != "drop" {
		t.Errorf("change = %+v", c)
	}
	if err := r.DeleteTrigger("B", "drop"); !errors.Is(err, ErrTriggerNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := r.DeleteTrigger("nope", "drop"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("missing function: %v", err)
	}
	// A trigger does not pin its alias: it just stops matching.
	if err := r.DeleteAlias("B", "prepub"); err != nil {
		t.Errorf("deleting an alias a trigger uses: %v", err)
	}
	before := r.AllTriggers()
	// Define again (the next start) keeps triggers.
	if err := r.Define(ctx, testSpec("B", src)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := openAt(t, dir, nil)
	after := r2.AllTriggers()
	if !reflect.DeepEqual(before, after) || len(after) != 1 || after[0].Function != "B" {
		t.Errorf("after restart %+v, want %+v", after, before)
	}
	if err := r2.Delete(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if ts := r2.AllTriggers(); len(ts) != 0 {
		t.Errorf("triggers of a deleted function: %+v", ts)
	}
	if _, err := r2.Triggers("B"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Triggers of a deleted function: %v", err)
	}
}

// TestTriggerStateBeforePassThrough: state written before the gateway
// honoured integrated response off stored "integratedResponse", mostly
// false, and served those triggers integrated; they must stay integrated.
func TestTriggerStateBeforePassThrough(t *testing.T) {
	var tr Trigger
	if err := json.Unmarshal([]byte(`{"name":"t","type":"apigw","qualifier":"$DEFAULT","service":"S","stage":"release","path":"/x","method":"ANY","integratedResponse":false,"enabled":true}`), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.PassThrough {
		t.Error("an old trigger became pass-through")
	}
}
