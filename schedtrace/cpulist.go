package schedtrace

import (
	"fmt"
	"strconv"
	"strings"
)

// parseCPUList parses the kernel's CPU list format ("0-3,5,7-8"), as in
// /sys/devices/system/cpu/online. Offline CPUs leave gaps: ids are real
// CPU numbers, never positions.
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	if s == "" {
		return nil, fmt.Errorf("schedtrace: empty CPU list")
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("schedtrace: CPU list %q: bad CPU %q", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("schedtrace: CPU list %q: bad range %q", s, part)
			}
		}
		if b-a > 1<<16 || (len(cpus) > 0 && a <= cpus[len(cpus)-1]) {
			return nil, fmt.Errorf("schedtrace: CPU list %q: range %q is out of order or absurd", s, part)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
