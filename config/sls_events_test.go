package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestServerlessEvents(t *testing.T) {
	f, err := Load("testdata/sls/multi")
	if err != nil {
		t.Fatal(err)
	}
	var api *Function
	for i := range f.Functions {
		if len(f.Functions[i].Triggers) > 0 {
			api = &f.Functions[i]
		}
	}
	if api == nil {
		t.Fatal("no function got triggers")
	}
	bucket, _ := filepath.Abs("testdata/sls/multi/api/buckets/photos-1250000000")
	want := []Trigger{
		{Type: "timer", Name: "timer-1", Qualifier: Default, Enabled: true, Cron: "*/5 * * * * * *", Message: "hi"},
		{Type: "cos", Name: "cos-2", Qualifier: Default, Enabled: true, Bucket: bucket, Events: "cos:ObjectCreated:*", Prefix: "in/", Suffix: ".jpg"},
		{Type: "cmq", Name: "alerts", Qualifier: Default, Enabled: true, Topic: "alerts"},
	}
	if got := triggersNoLines(api.Triggers); !reflect.DeepEqual(got, want) {
		t.Errorf("triggers\n got %+v\nwant %+v", got, want)
	}
	all := strings.Join(texts(f.Warnings), "\n")
	if w := "inputs.events[2].cos.parameters.bucket: bucket photos-1250000000.cos.ap-guangzhou.myqcloud.com is a cloud bucket; locally the folder"; !strings.Contains(all, w) {
		t.Errorf("warnings lack %q:\n%s", w, all)
	}
}
