// Package memprobe reads the memory use and OOM kills of a process's memory
// cgroup (a container's, or one the process runtime made) from this
// machine's cgroup files, for both runtime backends.
package memprobe
