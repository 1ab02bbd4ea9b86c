// Package codezip unpacks a function's code package, a zip archive as the
// cloud API's Code.ZipFile carries it, into a folder without ever writing
// outside it: it rejects absolute and escaping paths, symlinks that leave
// the tree or dangle, duplicate entries, and archives over the platform's
// size and entry limits (counting the bytes actually inflated, not the
// sizes the archive claims). File modes keep only the executable bit.
package codezip
