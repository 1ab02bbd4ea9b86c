// Package atomicfile replaces files so that a crash or kill at any moment
// leaves either the old content or the new one, never a torn file: the data
// goes to a temporary file in the same directory, is fsynced, renamed over
// the target, and the directory is fsynced so the rename itself survives.
package atomicfile
