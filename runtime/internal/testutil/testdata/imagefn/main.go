// Command imagefn is the server of the docker runtime's image-function
// tests: it is the whole image (FROM scratch). Events arrive as POST
// /event-invoke on port 9000 with X-Scf-Request-Id; any other request is a
// web function's.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

func writable(dir string) bool {
	f, err := os.CreateTemp(dir, "w")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /event-invoke", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("X-Scf-Request-Id")
		fmt.Printf("imagefn handled %s\n", id)
		var ev map[string]any
		_ = json.Unmarshal(body, &ev)
		switch ev["mode"] {
		case "error":
			http.Error(w, "imagefn failed on request", http.StatusInternalServerError)
			return
		case "text":
			fmt.Fprint(w, "plain text")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"request_id": id, "event": ev, "args": os.Args[1:],
			"tmp_rw": writable("/tmp"), "root_rw": writable("/"),
		})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"web": true, "path": r.URL.Path, "args": os.Args[1:]})
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "9000"
	}
	if err := http.ListenAndServe("0.0.0.0:"+port, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
