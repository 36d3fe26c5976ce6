package cpuwatch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// ThreadUsage is what one thread of a followed process did in one interval
// of a watch, and where it was when the interval ended.
//
// Its CPU time comes from the utime and stime fields of
// /proc/<pid>/task/<tid>/stat, which count USER_HZ ticks (10 ms). At an
// interval d a thread's User or System therefore moves in steps of
// 10 ms / d: exact to 1 % at 1 s, but only 0 or 1 at 10 ms, where the value
// says whether the thread was caught running at a tick rather than how long
// it ran. Average several samples for the amount; read CPU for the where.
type ThreadUsage struct {
	// PID is the process (thread group) the thread belongs to.
	PID int `json:"pid"`
	// TID is the kernel's thread id; the main thread's TID equals its PID.
	TID int `json:"tid"`
	// Name is the thread's comm at the end of the interval: at most 15
	// bytes, the executable's name unless the thread renamed itself.
	Name string `json:"name"`
	// User and System are the thread's CPU time in user and kernel mode
	// during the interval, as fractions of the sample's Elapsed, each
	// clamped to [0, 1]. A thread first seen in this sample counts all the
	// CPU time it had: it started during the interval.
	User   float64 `json:"user"`
	System float64 `json:"system"`
	// CPU is the id of the logical CPU the thread last ran on when the
	// interval ended (field 39 of its stat file): where it is running if it
	// is running, else where it will most likely resume.
	CPU int `json:"cpu"`
	// Migrations is how many times, over the whole watch so far, the thread
	// was seen on a different CPU than at the reading before. It is a lower
	// bound: moves within one interval are invisible, and a thread that
	// went from cpu0 to cpu1 and back between two readings counts none.
	Migrations int `json:"migrations"`
}

// Busy returns the fraction of the interval the thread was running,
// User + System clamped to [0, 1].
func (t ThreadUsage) Busy() float64 { return clamp01(t.User + t.System) }

// threadKey identifies a thread across readings. The start time tells a
// thread apart from a later one that reuses its tid.
type threadKey struct {
	pid, tid int
	start    uint64
}

// threadState is what the previous reading saw of a thread.
type threadState struct {
	utime, stime uint64
	cpu          int
	migrations   int
	gen          uint64 // the reading that last saw the thread
}

// threadReader reads the threads of the followed processes and turns two
// readings into ThreadUsage. Its map and slices are reused from one reading
// to the next; only threads it has not seen before allocate.
type threadReader struct {
	fs       procfs.FS
	procRoot string
	roots    []int
	children bool
	// childFiles says the kernel has /proc/<pid>/task/<tid>/children
	// (CONFIG_PROC_CHILDREN); without it children are found by reading
	// every process's parent.
	childFiles bool

	state map[threadKey]*threadState
	gen   uint64
	pids  []int
	seen  map[int]bool
	// checked holds, with the generation that last saw it, each thread
	// whose stat file refuseSpecial has passed: once per thread, not per
	// reading, since procfs's open of it could block on a named pipe.
	checked map[int]uint64
}

// following reports whether w follows any process.
func (w *Watcher) following() bool {
	return w.FollowSelf || len(w.FollowPIDs) > 0
}

// openThreads prepares to follow the processes w names. It returns nil,
// nil when w follows none, so that the watch loop pays one nil check.
func (w *Watcher) openThreads() (*threadReader, error) {
	if !w.following() {
		return nil, nil
	}
	root := w.ProcRoot
	if root == "" {
		if err := platformDefault(); err != nil {
			return nil, err
		}
		root = procfs.DefaultMountPoint
	}
	pfs, err := procfs.NewFS(root)
	if err != nil {
		return nil, fmt.Errorf("cpuwatch: proc root %q: %w", root, err)
	}
	r := &threadReader{
		fs:       pfs,
		procRoot: root,
		children: w.FollowChildren,
		state:    map[threadKey]*threadState{},
		seen:     map[int]bool{},
		checked:  map[int]uint64{},
	}
	if w.FollowSelf {
		self, err := pfs.Self()
		if err != nil {
			return nil, fmt.Errorf("cpuwatch: follow own process: %w", err)
		}
		r.roots = append(r.roots, self.PID)
	}
	for _, pid := range w.FollowPIDs {
		if pid <= 0 {
			return nil, fmt.Errorf("cpuwatch: follow pid %d: not a process id", pid)
		}
		if _, err := os.Stat(filepath.Join(root, strconv.Itoa(pid), "task")); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("cpuwatch: follow pid %d: %w (%w)", pid, ErrNoProcess, err)
			}
			return nil, fmt.Errorf("cpuwatch: follow pid %d: %w", pid, err)
		}
		if !slices.Contains(r.roots, pid) {
			r.roots = append(r.roots, pid)
		}
	}
	if r.children {
		_, err := os.Stat(filepath.Join(root, strconv.Itoa(r.roots[0]), "task", strconv.Itoa(r.roots[0]), "children"))
		r.childFiles = err == nil
	}
	return r, nil
}

// vanished reports whether err means that a process or thread went away
// between listing it and reading it, which is normal and not an error.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// read takes a reading of every followed thread and appends to dst the
// usage of each since the previous reading, elapsed ago, in (pid, tid)
// order. The first reading only sets the baseline and appends nothing.
func (r *threadReader) read(dst []ThreadUsage, elapsed time.Duration) ([]ThreadUsage, error) {
	r.gen++
	first := r.gen == 1
	pids, err := r.processes()
	if err != nil {
		return dst, err
	}
	n0 := len(dst)
	for _, pid := range pids {
		taskDir := filepath.Join(r.procRoot, strconv.Itoa(pid), "task")
		if err := refuseSpecial(taskDir); err != nil {
			return dst, fmt.Errorf("cpuwatch: threads of pid %d: %w", pid, err)
		}
		threads, err := r.fs.AllThreads(pid)
		if err != nil {
			if vanished(err) {
				continue
			}
			return dst, fmt.Errorf("cpuwatch: threads of pid %d: %w", pid, err)
		}
		for _, t := range threads {
			if _, ok := r.checked[t.PID]; !ok {
				if err := refuseSpecial(filepath.Join(taskDir, strconv.Itoa(t.PID), "stat")); err != nil {
					return dst, fmt.Errorf("cpuwatch: stat of thread %d of pid %d: %w", t.PID, pid, err)
				}
			}
			r.checked[t.PID] = r.gen
			st, err := t.Stat()
			if err != nil {
				// A thread that exits while its stat is read can fail in
				// several ways (ENOENT, ESRCH, an empty read that procfs
				// calls a parse error); it is gone if its directory is.
				if _, serr := os.Stat(filepath.Join(r.procRoot, strconv.Itoa(pid), "task", strconv.Itoa(t.PID))); vanished(err) || vanished(serr) {
					continue
				}
				return dst, fmt.Errorf("cpuwatch: stat of thread %d of pid %d: %w", t.PID, pid, err)
			}
			key := threadKey{pid: pid, tid: t.PID, start: st.Starttime}
			u := ThreadUsage{PID: pid, TID: t.PID, Name: st.Comm, CPU: int(st.Processor)}
			ut, stt := uint64(st.UTime), uint64(st.STime)
			prev, ok := r.state[key]
			switch {
			case ok:
				u.User = tickFraction(sub0(ut, prev.utime), elapsed)
				u.System = tickFraction(sub0(stt, prev.stime), elapsed)
				if prev.cpu != u.CPU {
					prev.migrations++
				}
				u.Migrations = prev.migrations
			case !first:
				// Not there at the previous reading: it started since.
				u.User = tickFraction(ut, elapsed)
				u.System = tickFraction(stt, elapsed)
				prev = &threadState{}
				r.state[key] = prev
			default:
				prev = &threadState{}
				r.state[key] = prev
			}
			prev.utime, prev.stime, prev.cpu, prev.gen = ut, stt, u.CPU, r.gen
			if !first {
				dst = append(dst, u)
			}
		}
	}
	for k, s := range r.state {
		if s.gen != r.gen {
			delete(r.state, k)
		}
	}
	for tid, gen := range r.checked {
		if gen != r.gen {
			delete(r.checked, tid)
		}
	}
	added := dst[n0:]
	slices.SortFunc(added, func(a, b ThreadUsage) int {
		if a.PID != b.PID {
			return a.PID - b.PID
		}
		return a.TID - b.TID
	})
	return dst, nil
}

// sub0 returns a − b, or 0 when a counter went backwards.
func sub0(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// tickFraction converts USER_HZ ticks into a fraction of elapsed.
func tickFraction(ticks uint64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return clamp01(float64(ticks) * float64(time.Second/userHZ) / float64(elapsed))
}

// processes returns the followed processes that exist now: the roots and,
// when following children, all their descendants. The slice is reused.
func (r *threadReader) processes() ([]int, error) {
	r.pids = append(r.pids[:0], r.roots...)
	if !r.children {
		return r.pids, nil
	}
	clear(r.seen)
	for _, p := range r.pids {
		r.seen[p] = true
	}
	if r.childFiles {
		// Breadth first: r.pids grows while it is walked.
		for i := 0; i < len(r.pids); i++ {
			var err error
			if r.pids, err = r.appendChildren(r.pids, r.pids[i]); err != nil {
				return nil, err
			}
		}
		return r.pids, nil
	}
	return r.descendantsByParent()
}

// appendChildren appends the children of every thread of pid, read from
// the task/<tid>/children files, skipping any already seen.
func (r *threadReader) appendChildren(dst []int, pid int) ([]int, error) {
	taskDir := filepath.Join(r.procRoot, strconv.Itoa(pid), "task")
	tids, err := readDirNames(taskDir)
	if err != nil {
		if vanished(err) {
			return dst, nil
		}
		return dst, fmt.Errorf("cpuwatch: children of pid %d: %w", pid, err)
	}
	for _, tid := range tids {
		b, err := readRegular(filepath.Join(taskDir, tid, "children"))
		if err != nil {
			if vanished(err) {
				continue
			}
			return dst, fmt.Errorf("cpuwatch: children of pid %d: %w", pid, err)
		}
		for _, f := range strings.Fields(string(b)) {
			c, err := strconv.Atoi(f)
			if err != nil || c <= 0 {
				return dst, fmt.Errorf("cpuwatch: %s: bad child pid %s", filepath.Join(taskDir, tid, "children"), excerptString(f))
			}
			if !r.seen[c] {
				r.seen[c] = true
				dst = append(dst, c)
			}
		}
	}
	return dst, nil
}

// descendantsByParent finds the descendants of the roots by reading the
// parent of every process, for kernels without children files. It costs
// one stat read per process on the machine.
func (r *threadReader) descendantsByParent() ([]int, error) {
	procs, err := r.fs.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("cpuwatch: list processes: %w", err)
	}
	kids := map[int][]int{}
	for _, p := range procs {
		if err := refuseSpecial(filepath.Join(r.procRoot, strconv.Itoa(p.PID), "stat")); err != nil {
			return nil, fmt.Errorf("cpuwatch: list processes: %w", err)
		}
		st, err := p.Stat()
		if err != nil {
			continue // gone, or unreadable: not one of ours either way
		}
		kids[st.PPID] = append(kids[st.PPID], p.PID)
	}
	for i := 0; i < len(r.pids); i++ {
		for _, c := range kids[r.pids[i]] {
			if !r.seen[c] {
				r.seen[c] = true
				r.pids = append(r.pids, c)
			}
		}
	}
	return r.pids, nil
}

func readDirNames(dir string) ([]string, error) {
	if err := refuseSpecial(dir); err != nil {
		return nil, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
