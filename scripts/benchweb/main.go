// Command benchweb is the hello-world web function scripts/bench-web.sh
// measures: a static Go HTTP server on $PORT (9000 when unset, as in an SCF
// container) that answers every request with a short fixed body. It is served
// directly, behind nginx and behind the emulator's gateway, so the three
// figures differ only by the hop in front.
package main

import (
	"log"
	"net"
	"net/http"
	"os"
)

var hello = []byte("hello\n")

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "9000"
	}
	host := os.Getenv("BIND_HOST")
	srv := &http.Server{Addr: net.JoinHostPort(host, port), Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(hello)
	})}
	log.Fatal(srv.ListenAndServe())
}
