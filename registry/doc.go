// Package registry owns the emulator's functions and their versions: the
// watched $LATEST, immutable numbered versions stored as content-addressed
// snapshots, aliases with weighted and rule-based routing, and the durable
// state that lets `emulator up` restore all of it. Resolve turns a
// (function, qualifier, routing keys) triple into a concrete version through
// an immutable routing table that is swapped atomically on every mutation.
package registry
