package logstore_test

import (
	"fmt"
	"time"

	"github.com/scf-emulator/emulator/logstore"
)

func Example() {
	s, err := logstore.Open(logstore.Options{}) // Dir "" keeps records in memory only
	if err != nil {
		panic(err)
	}
	defer s.Close()
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	_ = s.Append(logstore.Record{
		RequestID: "r1", Function: "B", Qualifier: "release", Version: "2", Alias: "release",
		Source: logstore.SourceGateway, StartTime: start, Duration: 3 * time.Millisecond,
		MemoryMB: 128, MemUsage: 30 << 20, Status: 200, RetMsg: `"ok"`, Log: "hello\n",
	})
	recs, total := s.Query(logstore.Query{Function: "B", Qualifier: "2", Status: logstore.FilterIs0})
	fmt.Println(total, recs[0].BillDuration)
	for _, l := range logstore.Lines(recs[0]) {
		fmt.Println(l)
	}
	// Output:
	// 1 3ms
	// 2026-05-01T10:00:00.000Z B:2@release START RequestId:r1
	// 2026-05-01T10:00:00.000Z B:2@release hello
	// 2026-05-01T10:00:00.003Z B:2@release Response RequestId:r1 RetMsg:"ok"
	// 2026-05-01T10:00:00.003Z B:2@release END RequestId:r1
	// 2026-05-01T10:00:00.003Z B:2@release Report RequestId:r1 Duration:3ms Memory:128MB MemUsage:30MB
}
