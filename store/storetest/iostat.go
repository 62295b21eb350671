// Package storetest has helpers for measuring the store.
package storetest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// WriteBytes reads write_bytes from /proc/self/io: the bytes this process
// caused to be sent to storage (counted when it dirties page-cache pages).
func WriteBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, fmt.Errorf("storetest: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("write_bytes: ")); ok {
			return strconv.ParseInt(string(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("storetest: no write_bytes in /proc/self/io")
}
