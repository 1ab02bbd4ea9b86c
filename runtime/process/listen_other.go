//go:build !linux

package process

// treeListensOn is Linux only (it reads /proc): elsewhere a server on 9000
// instead of $PORT ends in the 446 of the init timeout.
func treeListensOn(*tree, int) bool { return false }
