package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestManyFunctionsInBrowser loads the page over a fake of 50 functions
// with 20 versions each and checks it stays small: every function listed
// once, the filter narrowing the list, and only the selected function's
// versions in the page, idle ones folded away.
func TestManyFunctionsInBrowser(t *testing.T) {
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
	}
	src := newFake()
	for i := range 50 {
		src.addFunction("function-"+strconv.Itoa(i), 20)
	}
	mux := http.NewServeMux()
	New(src, Options{}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // a hang guard: chromium on a loaded machine is slow
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true))...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()

	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
		if err != nil {
			t.Fatalf("counting %s: %v", sel, err)
		}
		return n
	}
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/#fn=function-7"),
		chromedp.WaitVisible(chromedp.CSS(`.alias[data-alias="release"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#versions tbody tr`)))
	if err != nil {
		t.Fatal(err)
	}
	if n := count(`#fn-list button`); n != 50 {
		t.Errorf("function list has %d entries, want 50", n)
	}
	// $LATEST and the newest 9, plus 19 and 20 which release uses (both
	// already among them): 10 rows; the other 11 behind "show all".
	if n := count(`#versions tbody tr`); n != 10 {
		t.Errorf("versions table shows %d rows, want 10 until asked for all", n)
	}
	if n := count(`*`); n > 2500 {
		t.Errorf("the page has %d elements with 50x20, want at most 2500", n)
	}
	err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#fn-filter`), "function-4"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#fn-list button').length === 11`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Click(chromedp.CSS(`#versions-more`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#versions tbody tr').length === 21`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Errorf("filter to function-4* (11) and show all 21 versions: %v", err)
	}
}
