//go:build linux

package process

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// treeListensOn reports whether a process of t has a TCP socket listening
// on port, from the sockets in /proc/PID/fd and the tables of
// /proc/net/tcp and tcp6 (the process runtime shares the host's network
// namespace, so the emulator's tables are the function's).
func treeListensOn(t *tree, port int) bool {
	inodes := listeningInodes(port)
	if len(inodes) == 0 {
		return false
	}
	for pid := range t.members() {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			link, err := os.Readlink(dir + "/" + e.Name())
			if err != nil {
				continue
			}
			if ino, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
				return true
			}
		}
	}
	return false
}

// listeningInodes returns the inodes of the TCP sockets listening on port.
func listeningInodes(port int) map[string]bool {
	const listen = "0A" // TCP_LISTEN in /proc/net/tcp's st column
	hexPort := ":" + strings.ToUpper(strconv.FormatInt(int64(port), 16))
	for len(hexPort) < 5 {
		hexPort = ":0" + hexPort[1:]
	}
	out := make(map[string]bool)
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) >= 10 && fields[3] == listen && strings.HasSuffix(fields[1], hexPort) {
				out[fields[9]] = true
			}
		}
		f.Close()
	}
	return out
}
