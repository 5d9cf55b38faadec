// Package hostinfo measures what a host offers to tasks.
package hostinfo

import (
	"bufio"
	"fmt"
	"net"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/internal/agent"
)

// MemoryReserveMiB is kept back from tasks for the host, Docker and wharf
// itself (the ECS agent's ECS_RESERVED_MEMORY plus its own overhead).
const MemoryReserveMiB = 256

// ReservedPorts are the host ports ECS reserves by default (SSH, the Docker
// API, the ECS agent's ports).
var ReservedPorts = []int{22, 2375, 2376, 51678, 51679}

// Resources returns CPU = 1024 per core, MEMORY = host MiB minus the
// reserve and the reserved ports plus the port of serverAddr if given.
func Resources(serverAddr interface{ String() string }) (agent.Resources, error) {
	mem, err := memTotalMiB("/proc/meminfo")
	if err != nil {
		return agent.Resources{}, err
	}
	ports := append([]int(nil), ReservedPorts...)
	if serverAddr != nil {
		if _, p, err := net.SplitHostPort(serverAddr.String()); err == nil {
			if n, err := strconv.Atoi(p); err == nil {
				ports = append(ports, n)
			}
		}
	}
	return agent.Resources{
		CPU:           int32(1024 * goruntime.NumCPU()),
		MemoryMiB:     int32(max(mem-MemoryReserveMiB, 0)),
		ReservedPorts: ports,
	}, nil
}

func memTotalMiB(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read host memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no MemTotal in %s", path)
}
