package cpuwatch

import "errors"

// ErrUnsupported is wrapped by the errors of everything that reads the live
// machine on a platform other than Linux, where there is no /proc/stat,
// sysfs topology or sched_getaffinity. A caller that can do without the
// figures, such as a test run on a laptop, checks for it with [errors.Is]
// and skips; a Watcher whose ProcRoot and SysRoot name fixture trees
// reads them everywhere (Topology excepted).
var ErrUnsupported = errors.New("cpuwatch: unsupported platform")

// ErrNoProcess is wrapped by the error of a watch asked to follow a
// process (Watcher.FollowPIDs) that does not exist when it starts: one
// that never existed, or one that ended before the first reading. A
// caller that checked the process beforehand can take it as "it ended at
// once" and record without following it.
var ErrNoProcess = errors.New("no such process")
