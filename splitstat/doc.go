// Package splitstat decides whether an observed traffic split matches a
// configured one. Each version's observed share gets a Wilson score
// interval at a chosen confidence (99% by default); the split is off when a
// configured share lies outside its version's interval, which includes any
// traffic at all to a version configured for none and anything short of all
// traffic to a version configured for all of it. It is pure: counts in,
// verdict out, no I/O.
package splitstat
