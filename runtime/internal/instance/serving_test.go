package instance

import (
	"net"
	"testing"
)

// TestServing tells a server waiting for a request from a port proxy that
// accepts and drops the connection because nothing listens behind it.
func TestServing(t *testing.T) {
	tests := []struct {
		name   string
		accept func(net.Conn) // nil: nothing listens
		want   bool
	}{
		{"server holds the connection", func(c net.Conn) { <-t.Context().Done(); c.Close() }, true},
		{"proxy drops it", func(c net.Conn) { c.Close() }, false},
		{"nothing listens", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			if tc.accept == nil {
				ln.Close()
			} else {
				defer ln.Close()
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						go tc.accept(c)
					}
				}()
			}
			if got := serving(t.Context(), addr); got != tc.want {
				t.Errorf("serving = %v, want %v", got, tc.want)
			}
		})
	}
}
