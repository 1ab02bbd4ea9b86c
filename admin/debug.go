package admin

import (
	"fmt"
	"net/http"
)

// DebugSession is one function version run under a debugger (emulator up
// --debug): where the debugger listens and where the code runs from, which
// is what an editor's launch configuration needs to map the user's source
// files onto the running ones.
type DebugSession struct {
	Namespace string `json:"namespace"`
	Function  string `json:"function"`
	Version   string `json:"version"`
	Runtime   string `json:"runtime"`
	Debugger  string `json:"debugger"` // debugpy, inspector, delve, custom
	Host      string `json:"host"`
	Port      int    `json:"port"`
	// Source is the user's source folder; CodeRoot the path the running
	// code has (the process runtime's debug tree, /var/user on Docker).
	Source   string `json:"source"`
	CodeRoot string `json:"codeRoot"`
}

// DebugSource lists the debug sessions of the running emulator.
type DebugSource interface {
	DebugSessions() []DebugSession
}

// HandleDebug serves GET /emulator/debug[?function=NAME] from src: every
// session, or those of one function (404 when it has none).
func (s *Server) HandleDebug(src DebugSource) {
	s.Handle("GET /emulator/debug", func(w http.ResponseWriter, r *http.Request) error {
		fn := r.URL.Query().Get("function")
		out := []DebugSession{}
		for _, d := range src.DebugSessions() {
			if fn == "" || d.Function == fn {
				out = append(out, d)
			}
		}
		if fn != "" && len(out) == 0 {
			return kinded{fmt.Errorf("function %s is not being debugged: start the emulator with --debug %s=PORT", fn, fn), ErrNotFound}
		}
		writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
		return nil
	})
}
