// Package statelock owns the lock that marks a state directory as in use:
// an emulator holds it for as long as it runs (registry.Open takes it), and
// anyone may ask, without disturbing the holder, whether a state directory
// is held, gone or free. The docker runtime asks before it removes
// containers another emulator left, so that it never removes a live one's.
package statelock
