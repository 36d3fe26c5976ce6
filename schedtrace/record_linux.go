//go:build linux

package schedtrace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxFilter is the longest kernel filter this package sets; the kernel
// copies at most a page. A longer one means no kernel filter, and the
// followed threads are picked out in user space instead.
const maxFilter = 3500

// drainEvery bounds how long a ring buffer goes undrained when it has not
// reached its watermark.
const drainEvery = 50 * time.Millisecond

// Recording is a trace in progress, begun by Tracer.Start. Its methods
// may be called from any goroutine.
type Recording struct {
	dec     *decoder
	cpus    []int
	rings   []*ring
	fds     []int // every perf fd, rings' included
	wake    int   // eventfd that interrupts the drain loop
	start   uint64
	wall    time.Time
	in      buildInput
	wrapAt  int32 // first tid the kernel filter does not pass by range; 0: no filter
	filters []filtered
	// Tracepoint ids, for the unfiltered events that replace the
	// filtered ones after a pid wrap.
	switchID, wakingID uint64

	mu     sync.Mutex // guards events, lost, err while the loop runs
	events []event
	lost   uint64
	bytes  uint64
	err    error

	stopping atomic.Bool
	own      atomic.Int32 // the drain loop's thread, left out of the trace
	done     chan struct{}
	stopOnce sync.Once
	result   *Trace
	stopErr  error
}

// filtered is a CPU's filtered event.
type filtered struct {
	fd   int
	cpu  int
	lead int // the fd whose ring buffer it writes to
}

// ring is one CPU's mmap'd perf ring buffer.
type ring struct {
	st      ringState
	fd      int
	mem     []byte
	meta    *unix.PerfEventMmapPage
	data    []byte
	scratch []byte
}

// Start begins tracing and returns the recording, which Stop ends. On
// error nothing is left open.
func (t *Tracer) Start() (*Recording, error) {
	pages := t.BufferPages
	if pages < 0 || pages&(pages-1) != 0 {
		return nil, fmt.Errorf("schedtrace: BufferPages = %d, want a power of two", t.BufferPages)
	}
	procRoot := t.ProcRoot
	if procRoot == "" {
		procRoot = "/proc"
	}
	sysRoot := t.SysRoot
	if sysRoot == "" {
		sysRoot = "/sys"
	}
	fsRoot, err := findTracefs(t.TracefsRoot)
	if err != nil {
		return nil, err
	}
	sw, err := readFormat(fsRoot, "sched_switch")
	if err != nil {
		return nil, err
	}
	wk, err := readFormat(fsRoot, "sched_waking")
	if errors.Is(err, fs.ErrNotExist) {
		// Before Linux 4.3 the waker's side was sched_wakeup.
		wk, err = readFormat(fsRoot, "sched_wakeup")
	}
	if err != nil {
		return nil, err
	}
	fk, err := readFormat(fsRoot, "sched_process_fork")
	if err != nil {
		return nil, err
	}
	dec, err := newDecoder(sw, wk, fk)
	if err != nil {
		return nil, err
	}
	onlineText, err := os.ReadFile(filepath.Join(sysRoot, "devices/system/cpu/online"))
	if err != nil {
		return nil, fmt.Errorf("schedtrace: online CPUs: %w", err)
	}
	cpus, err := parseCPUList(strings.TrimSpace(string(onlineText)))
	if err != nil {
		return nil, err
	}
	if pages == 0 {
		pages = defaultBufferPages(len(cpus))
	}

	r := &Recording{dec: dec, wake: -1, done: make(chan struct{}), switchID: sw.id, wakingID: wk.id}
	r.in = buildInput{all: t.All, children: t.FollowChildren, followed: map[int32]bool{}, tgid: map[int32]int32{}}
	var explicit []int32 // tids the kernel filter names
	if !t.All {
		pids := slices32(t.FollowPIDs)
		if t.FollowSelf || len(t.FollowPIDs) == 0 {
			pids = append(pids, int32(os.Getpid()))
		}
		for _, p := range pids {
			if p <= 0 {
				return nil, fmt.Errorf("schedtrace: FollowPIDs holds %d, not a process id", p)
			}
			if _, err := os.Stat(filepath.Join(procRoot, strconv.Itoa(int(p)))); err != nil {
				return nil, fmt.Errorf("schedtrace: cannot follow process %d: %w", p, err)
			}
			r.in.followed[p] = true
		}
		if t.FollowChildren {
			for _, p := range descendants(procRoot, pids) {
				r.in.followed[p] = true
			}
		}
		for p := range r.in.followed {
			for _, tid := range tasks(procRoot, p) {
				r.in.tgid[tid] = p
				explicit = append(explicit, tid)
			}
		}
		r.in.procTGID = func(tid int32) (int32, bool) { return procTGID(procRoot, tid) }
		// Every tid allocated from now on passes the kernel filter by
		// range, so threads and children created during the trace are
		// seen from their first switch; build then keeps the followed.
		// Near pid_max the counter will soon wrap, and new tids would
		// fall below the range until the filter is replaced (see
		// checkWrap): then filter in user space only.
		last, err1 := readInt(filepath.Join(procRoot, "sys/kernel/ns_last_pid"))
		pidMax, err2 := readInt(filepath.Join(procRoot, "sys/kernel/pid_max"))
		if err1 == nil && err2 == nil && pidMax-last > max(pidMax/8, 4096) {
			r.wrapAt = int32(last + 1)
		}
	}

	ok := false
	defer func() {
		if !ok {
			r.closeAll()
		}
	}()
	if r.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return nil, fmt.Errorf("schedtrace: eventfd: %w", err)
	}
	var swFilter, wkFilter string
	if r.wrapAt > 0 {
		swFilter = pidFilter([]string{"prev_pid", "next_pid"}, r.wrapAt, explicit)
		wkFilter = pidFilter([]string{"pid"}, r.wrapAt, explicit)
		if len(swFilter) > maxFilter {
			swFilter, wkFilter = "", ""
			r.wrapAt = 0
		}
	}
	// The kernel's context switch records cannot be filtered: hold them
	// to the tracepoints' filter here, while it is in place.
	passes := make(map[int32]bool, len(explicit))
	for _, t := range explicit {
		passes[t] = true
	}
	keep := func(prev, next int32) bool { // called with r.mu held, by drain
		if r.wrapAt == 0 {
			return true
		}
		return prev >= r.wrapAt || next >= r.wrapAt || passes[prev] || passes[next]
	}
	pageSize := os.Getpagesize()
	for _, cpu := range cpus {
		lead, err := openTracepoint(sw.id, cpu, pages)
		if (errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EINVAL)) && !online(sysRoot, cpu) {
			continue // went offline since we read the list: not traced, not listed
		}
		if err != nil {
			return nil, accessError(err, procRoot)
		}
		r.fds = append(r.fds, lead)
		mem, err := unix.Mmap(lead, 0, (1+pages)*pageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return nil, fmt.Errorf("schedtrace: mmap of cpu%d's ring buffer (%d pages): %w", cpu, pages, err)
		}
		rg := &ring{fd: lead, mem: mem, meta: (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))}
		off, size := rg.meta.Data_offset, rg.meta.Data_size
		if off == 0 || size == 0 { // kernels before 4.1
			off, size = uint64(pageSize), uint64(pages*pageSize)
		}
		rg.data = mem[off : off+size]
		rg.st.keep = keep
		r.rings = append(r.rings, rg)
		if swFilter != "" {
			if err := setFilter(lead, swFilter); err != nil {
				return nil, err
			}
			r.filters = append(r.filters, filtered{lead, cpu, lead})
		}
		for _, f := range []struct {
			id     uint64
			filter string
		}{{wk.id, wkFilter}, {fk.id, ""}} {
			fd, err := openTracepoint(f.id, cpu, 0)
			if err != nil {
				return nil, accessError(err, procRoot)
			}
			r.fds = append(r.fds, fd)
			if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, lead); err != nil {
				return nil, fmt.Errorf("schedtrace: redirecting cpu%d's events into one buffer: %w", cpu, err)
			}
			if f.filter != "" {
				if err := setFilter(fd, f.filter); err != nil {
					return nil, err
				}
				r.filters = append(r.filters, filtered{fd, cpu, lead})
			}
		}
		// The perf core's own record of each switch on this CPU, beside
		// the tracepoint's: it fills in the switches the tracepoint
		// leaves out (see ringState.switchRecord). Kernels before 4.3
		// have none; the tracepoint is then all there is.
		if fd, err := openSwitchRecords(cpu); err == nil {
			r.fds = append(r.fds, fd)
			if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, lead); err != nil {
				return nil, fmt.Errorf("schedtrace: redirecting cpu%d's switch records into its buffer: %w", cpu, err)
			}
		} else if !errors.Is(err, unix.EINVAL) {
			return nil, accessError(err, procRoot)
		}
		r.cpus = append(r.cpus, cpu)
	}
	if len(r.rings) == 0 {
		return nil, errors.New("schedtrace: no online CPU could be traced")
	}
	for _, fd := range r.fds {
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
			return nil, fmt.Errorf("schedtrace: enabling events: %w", err)
		}
	}
	r.start = monotonic()
	r.wall = time.Now()
	ok = true
	go r.loop()
	return r, nil
}

// Stop ends tracing, closes every perf descriptor and mapping, and returns
// the trace. Calling it again returns the same trace and error.
func (r *Recording) Stop() (*Trace, error) {
	r.stopOnce.Do(func() {
		end := monotonic()
		r.mu.Lock() // drain may add fds (checkWrap)
		for _, fd := range r.fds {
			// Errors here change nothing: the fds are closed below.
			_ = unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_DISABLE, 0)
		}
		r.mu.Unlock()
		r.stopping.Store(true)
		var one [8]byte
		one[0] = 1
		_, _ = unix.Write(r.wake, one[:])
		<-r.done
		r.drain() // what arrived before the disable
		r.closeAll()
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.err != nil {
			r.stopErr = r.err
			return
		}
		in := r.in
		in.events, in.comms, in.lost, in.bytes = r.events, r.dec.comms, r.lost, r.bytes
		in.start, in.end, in.cpus = r.start, end, r.cpus
		in.wallStart = r.wall
		in.own = r.own.Load()
		r.events = nil
		r.result = build(in)
	})
	return r.result, r.stopErr
}

// loop drains the ring buffers when one reaches its watermark, every
// drainEvery otherwise, until Stop.
//
// On a loaded machine the drain competes with the workload it traces for
// a CPU, and a storm of switches fills even a 4 MiB buffer in a fraction
// of a second. So the loop runs on a thread of its own at a raised
// priority where that is allowed (root); the thread ends with the loop,
// priority and all, rather than returning to the Go scheduler.
func (r *Recording) loop() {
	defer close(r.done)
	runtime.LockOSThread()
	r.own.Store(int32(unix.Gettid()))
	// Best effort: without CAP_SYS_NICE the drain keeps its priority.
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), -10)
	pfds := make([]unix.PollFd, 0, len(r.rings)+1)
	for _, rg := range r.rings {
		pfds = append(pfds, unix.PollFd{Fd: int32(rg.fd), Events: unix.POLLIN})
	}
	pfds = append(pfds, unix.PollFd{Fd: int32(r.wake), Events: unix.POLLIN})
	for !r.stopping.Load() {
		_, err := unix.Poll(pfds, int(drainEvery/time.Millisecond))
		if err != nil && err != unix.EINTR {
			r.fail(fmt.Errorf("schedtrace: poll: %w", err))
			return
		}
		if r.stopping.Load() {
			return
		}
		if !r.drain() {
			return
		}
	}
}

func (r *Recording) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

// drain decodes every ring's new records. It reports false after an error.
func (r *Recording) drain() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return false
	}
	for _, rg := range r.rings {
		buf, head := rg.pending()
		r.bytes += uint64(len(buf))
		n := len(r.events)
		var err error
		r.events, err = r.dec.decodeRecords(r.events, buf, &r.lost, &rg.st)
		rg.consume(head)
		if err != nil {
			r.err = err
			return false
		}
		r.checkWrap(r.events[n:])
	}
	return true
}

// checkWrap drops the kernel filter if the kernel wrapped its pid counter
// during the trace: tids below the filter's range are being handed out
// again, and a followed thread might get one. The kernel cannot replace a
// tracepoint filter, so each CPU's filtered events are disabled and
// unfiltered ones take their place in the same ring buffer; a switch in
// the few microseconds between shows as Lost.Unmatched.
func (r *Recording) checkWrap(evs []event) {
	if r.wrapAt == 0 {
		return
	}
	wrapped := false
	for i := range evs {
		if evs[i].kind == evFork && evs[i].b < r.wrapAt {
			wrapped = true
			break
		}
	}
	if !wrapped {
		return
	}
	r.wrapAt = 0
	type repl struct{ cpu, lead int }
	var todo []repl
	for _, f := range r.filters {
		_ = unix.IoctlSetInt(f.fd, unix.PERF_EVENT_IOC_DISABLE, 0)
		if f.fd == f.lead {
			todo = append(todo, repl{f.cpu, f.lead})
		}
	}
	for _, t := range todo {
		for _, id := range []uint64{r.switchID, r.wakingID} {
			fd, err := openTracepoint(id, t.cpu, 0)
			if err != nil {
				r.err = fmt.Errorf("schedtrace: replacing the filtered events after a pid wrap: %w", err)
				return
			}
			r.fds = append(r.fds, fd)
			if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, t.lead); err != nil {
				r.err = fmt.Errorf("schedtrace: replacing the filtered events after a pid wrap: %w", err)
				return
			}
			if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
				r.err = fmt.Errorf("schedtrace: replacing the filtered events after a pid wrap: %w", err)
				return
			}
		}
	}
}

// pending returns the records the kernel wrote since the last consume, as
// one contiguous slice (copied when they wrap around the buffer's end),
// and the head position to consume up to.
func (rg *ring) pending() ([]byte, uint64) {
	head := atomic.LoadUint64(&rg.meta.Data_head)
	tail := atomic.LoadUint64(&rg.meta.Data_tail)
	size := uint64(len(rg.data))
	n := head - tail
	if n == 0 {
		return nil, head
	}
	if n > size { // cannot happen with a well-behaved kernel
		n = size
		tail = head - size
	}
	start := tail % size
	if start+n <= size {
		return rg.data[start : start+n], head
	}
	rg.scratch = append(rg.scratch[:0], rg.data[start:]...)
	rg.scratch = append(rg.scratch, rg.data[:n-(size-start)]...)
	return rg.scratch, head
}

// consume hands the space up to head, read by pending, back to the
// kernel. Not the current head: records written since pending looked are
// still to be read.
func (rg *ring) consume(head uint64) {
	atomic.StoreUint64(&rg.meta.Data_tail, head)
}

func (r *Recording) closeAll() {
	for _, rg := range r.rings {
		if rg.mem != nil {
			_ = unix.Munmap(rg.mem)
			rg.mem, rg.data, rg.meta = nil, nil, nil
		}
	}
	for _, fd := range r.fds {
		_ = unix.Close(fd)
	}
	r.fds = nil
	if r.wake >= 0 {
		_ = unix.Close(r.wake)
		r.wake = -1
	}
}

// openTracepoint opens a CPU-wide tracepoint event, disabled. A ring
// buffer of pages pages wakes the drain loop when a quarter full.
func openTracepoint(id uint64, cpu, pages int) (int, error) {
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_TRACEPOINT,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Config:      id,
		Sample:      1,
		Sample_type: unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME | unix.PERF_SAMPLE_CPU | unix.PERF_SAMPLE_RAW,
		Bits:        unix.PerfBitDisabled | unix.PerfBitUseClockID,
		Clockid:     unix.CLOCK_MONOTONIC,
	}
	if pages > 0 {
		attr.Bits |= unix.PerfBitWatermark
		attr.Wakeup = uint32(pages * os.Getpagesize() / 4)
	}
	fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("perf_event_open(tracepoint %d, cpu %d): %w", id, cpu, err)
	}
	return fd, nil
}

// openSwitchRecords opens a CPU-wide dummy event, disabled, that writes a
// PERF_RECORD_SWITCH_CPU_WIDE for every context switch on cpu, stamped
// like the tracepoints' samples.
func openSwitchRecords(cpu int) (int, error) {
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_SOFTWARE,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Config:      unix.PERF_COUNT_SW_DUMMY,
		Sample_type: unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME | unix.PERF_SAMPLE_CPU,
		Bits:        unix.PerfBitDisabled | unix.PerfBitUseClockID | unix.PerfBitContextSwitch | unix.PerfBitSampleIDAll,
		Clockid:     unix.CLOCK_MONOTONIC,
	}
	fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("perf_event_open(context switch records, cpu %d): %w", cpu, err)
	}
	return fd, nil
}

func setFilter(fd int, filter string) error {
	p, err := unix.BytePtrFromString(filter)
	if err != nil {
		return fmt.Errorf("schedtrace: filter %q: %w", filter, err)
	}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.PERF_EVENT_IOC_SET_FILTER, uintptr(unsafe.Pointer(p)))
	runtime.KeepAlive(p)
	if errno != 0 {
		return fmt.Errorf("schedtrace: the kernel refused the filter %.60q…: %w", filter, errno)
	}
	return nil
}

func monotonic() uint64 {
	var ts unix.Timespec
	// CLOCK_MONOTONIC cannot fail on Linux.
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// findTracefs returns the tracefs root holding the sched events.
func findTracefs(root string) (string, error) {
	roots := []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}
	if root != "" {
		roots = []string{root}
	}
	var firstErr error
	for _, r := range roots {
		_, err := os.Stat(filepath.Join(r, "events/sched/sched_switch/format"))
		if err == nil {
			return r, nil
		}
		if errors.Is(err, fs.ErrPermission) {
			return "", &AccessError{Missing: "permission to read " + r, Kind: ErrPermission, Err: err,
				Fix: "run as root (tracefs is readable by root only by default)"}
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return "", &AccessError{Missing: "a mounted tracefs at " + roots[0], Kind: ErrNoTracefs, Err: firstErr,
		Fix: "as root, run: mount -t tracefs nodev " + roots[0]}
}

func readFormat(root, event string) (*format, error) {
	data, err := os.ReadFile(filepath.Join(root, "events/sched", event, "format"))
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, &AccessError{Missing: "permission to read tracefs", Kind: ErrPermission, Err: err,
				Fix: "run as root"}
		}
		return nil, fmt.Errorf("schedtrace: tracepoint sched:%s: %w", event, err)
	}
	return parseFormat(data)
}

// accessError turns a failed perf_event_open into an error that says what
// is missing.
func accessError(err error, procRoot string) error {
	if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("schedtrace: %w", err)
	}
	paranoid := "unknown"
	if b, rerr := os.ReadFile(filepath.Join(procRoot, "sys/kernel/perf_event_paranoid")); rerr == nil {
		paranoid = strings.TrimSpace(string(b))
	}
	if os.Geteuid() == 0 {
		return &AccessError{Missing: "permission to open perf events even as root", Kind: ErrPermission, Err: err,
			Fix: "a seccomp profile or LSM (container runtime, SELinux) forbids perf_event_open; allow it"}
	}
	return &AccessError{
		Missing: fmt.Sprintf("root or CAP_PERFMON (kernel.perf_event_paranoid is %s)", paranoid),
		Kind:    ErrPermission, Err: err,
		Fix: "run as root, grant the program CAP_PERFMON (setcap cap_perfmon+ep PROGRAM), or allow CPU-wide tracepoints to all users with sysctl -w kernel.perf_event_paranoid=-1",
	}
}

// pidFilter is a kernel filter passing events whose fields name any tid
// at or above from, or one of tids.
func pidFilter(fields []string, from int32, tids []int32) string {
	var b strings.Builder
	for _, f := range fields {
		if b.Len() > 0 {
			b.WriteString(" || ")
		}
		fmt.Fprintf(&b, "%s>=%d", f, from)
		for _, t := range tids {
			fmt.Fprintf(&b, " || %s==%d", f, t)
		}
	}
	return b.String()
}

func slices32(s []int) []int32 {
	out := make([]int32, 0, len(s)+1)
	for _, v := range s {
		out = append(out, int32(v))
	}
	return out
}

// tasks lists a process's thread ids; none if it has gone.
func tasks(procRoot string, pid int32) []int32 {
	ents, _ := os.ReadDir(filepath.Join(procRoot, strconv.Itoa(int(pid)), "task"))
	var out []int32
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, int32(n))
		}
	}
	return out
}

// descendants returns every process below roots in the process tree.
func descendants(procRoot string, roots []int32) []int32 {
	ents, _ := os.ReadDir(procRoot)
	kids := make(map[int32][]int32)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		// The comm may hold spaces and parentheses: fields follow the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			kids[int32(pp)] = append(kids[int32(pp)], int32(pid))
		}
	}
	var out []int32
	queue := slices32(nil)
	queue = append(queue, roots...)
	seen := map[int32]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range kids[p] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	return out
}

// online reports whether cpu is online now. The fixture trees of tests
// list CPUs that the machine running them lacks; the real /sys has the
// last word.
func online(sysRoot string, cpu int) bool {
	for _, root := range []string{"/sys", sysRoot} {
		b, err := os.ReadFile(filepath.Join(root, "devices/system/cpu/online"))
		if err != nil {
			return false
		}
		cpus, err := parseCPUList(strings.TrimSpace(string(b)))
		if err != nil || !slices.Contains(cpus, cpu) {
			return false
		}
	}
	return true
}

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// procTGID reads a thread's process id from /proc.
func procTGID(procRoot string, tid int32) (int32, bool) {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(int(tid)), "status"))
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return int32(n), err == nil
		}
	}
	return 0, false
}
