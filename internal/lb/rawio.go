package lb

import (
	"syscall"
	"unsafe"
)

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket
// without the runtime's entersyscall/exitsyscall. They cannot block, and
// the goroutine keeps its P through them: with syscall.Read, sysmon hands
// the P of a call that lasts over 20 µs to another thread, and a write on
// loopback, which carries the receiver's TCP processing, often does. That
// hand-off costs thread wake-ups and migrations on every few requests
// (docs/benchmarks.md). p must not be empty.
func rawRead(fd int, p []byte) (int, syscall.Errno) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(n), e
		}
	}
}

func rawWrite(fd int, p []byte) (int, syscall.Errno) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(n), e
		}
	}
}
