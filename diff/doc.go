// Package diff compares two versions' answers to the same requests, as
// Twitter's Diffy does: the primary's answer against a candidate's, status,
// headers and body (JSON structurally, path by path; other bodies byte-wise).
// Fields that differ between two runs of the primary itself (timestamps,
// request ids, random values) are noise: learned from a sample of requests
// sent to the primary twice, and kept out of the verdict. A Store keeps the
// compared requests, bounded, in the state directory, and reports the
// differences grouped by endpoint and JSON path, with counts, shares and
// one capped example each.
package diff
