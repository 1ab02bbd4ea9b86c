// Package metrics counts invocations per function, version, alias and API
// Gateway stage. It exports them in the Prometheus text format from its own
// registry, and keeps a ring of one-second buckets per version so callers can
// ask for "the last 60 s": each version's share of traffic, error rate,
// latency percentiles and a requests-over-time series for the dashboard.
package metrics
