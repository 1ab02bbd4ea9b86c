package main

import "net/http"

// dashboardRoutes serves the dashboard at GET / and the JSON it reads.
func (a *App) dashboardRoutes(mux *http.ServeMux) {}
