package main

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// splitTestRoutes registers what split-test asks the server (stage bindings).
func (a *App) splitTestRoutes(mux *http.ServeMux) {}

func cmdSplitTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("split-test: not built yet")
}
