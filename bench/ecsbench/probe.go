package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// fsyncProbe measures what one durable etcd WAL append costs on the disk
// under dir: n sequential 4 KiB writes, each followed by fdatasync (what
// `dd bs=4k oflag=dsync` does).
func fsyncProbe(dir string, n int) (latencies, error) {
	path := filepath.Join(dir, "fsync-probe")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return latencies{}, err
	}
	defer os.Remove(path)
	defer f.Close()
	block := make([]byte, 4096)
	samples := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		if _, err := f.Write(block); err != nil {
			return latencies{}, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return latencies{}, fmt.Errorf("fdatasync: %w", err)
		}
		samples = append(samples, time.Since(t))
	}
	return summarise([][]time.Duration{samples}), nil
}

// filesystemType names the file system dir is on (tmpfs would make every
// fsync free and the write numbers meaningless).
func filesystemType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	switch uint32(st.Type) {
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x01021994:
		return "tmpfs"
	case 0x794C7630:
		return "overlayfs"
	case 0x2FC12FC1:
		return "zfs"
	default:
		return fmt.Sprintf("0x%x", uint32(st.Type))
	}
}
