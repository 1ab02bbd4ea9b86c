package main

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// rolloutRoutes registers the rollout endpoints on the admin mux.
func (a *App) rolloutRoutes(mux *http.ServeMux) {}

func cmdRollout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("rollout: not built yet")
}
