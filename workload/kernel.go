package workload

import (
	"errors"
	"math"
	"sync/atomic"
	"time"
)

// Bits of a machine's breaker word. Any bit set makes the kernel call its
// check function at the next tick, like CPython's eval_breaker.
const (
	breakStop uint32 = 1 << iota // the run is over: cancelled or failed
	breakDrop                    // Python 3: a waiter asked for the GIL
)

// errStopped is what a kernel returns when the stop bit ended it; the runner
// turns it into ctx.Err() or the error that caused the stop.
var errStopped = errors.New("workload: stopped")

// Slices of the native loop between looks at the breaker: ~1 ms without a
// GIL, and short enough under a Python 3 GIL that a drop request is served
// within ~50 ns, as a bytecode tick would.
const (
	nativeSliceFree = 1 << 20
	nativeSlicePy3  = 64
)

// machine runs kernel units for one worker. It is used by one goroutine; the
// breaker and ticker may be shared with other machines (the GIL's), which
// only touch them while holding that GIL.
type machine struct {
	// breaker is polled at every tick; nonzero means call check.
	breaker *atomic.Uint32
	// ticker counts down at every tick; below zero it is reset to interval
	// and check is called with periodic set. Shared between the threads of
	// a Python 2 GIL, like CPython 2.7's global _Py_Ticker.
	ticker   *int
	interval int
	// check is called on the slow path; a non-nil error ends the unit.
	check func(periodic bool) error
	// nativeSlice is the native loop's slice length in iterations.
	nativeSlice uint64
	// ticks counts the ticks executed, for statistics and tests.
	ticks uint64
	// pad is how many spin steps, in 1/256ths, end every iteration to
	// slow the kernel to a modelled interpreter's pace (see Work's
	// NsPerIteration); padAcc carries the fractions between iterations,
	// and sink the spin's value, so that the compiler cannot drop it.
	pad, padAcc, sink uint64
	// floor, if > 0, is the modelled interpreter's cost of a tick in
	// picoseconds, held as a floor on the wall clock: every floorChunk
	// iterations, and before every check, the kernel spins until at least
	// floor × ticks has passed since it last came back from a check (or
	// started). The fixed pad makes an iteration cost the target as
	// measured; the floor keeps a kernel that runs faster than it was
	// measured at (on this VM it moves by ±25 % from run to run, where a
	// real interpreter moves by ±10 %) from shortening the check
	// interval, on whose length the Python 2 storm's behaviour depends
	// (BENCHMARKS.md, "The storm's regimes"). A kernel slowed by
	// the host is not sped up: like the interpreter, it runs late.
	floor int64
	// mark and markTicks are the floor's origin: when the kernel last
	// left a check (zero: not yet) and the ticks it had counted then.
	mark      time.Time
	markTicks uint64
}

// floorChunk is how many iterations the bytecode kernel runs between
// looks at the clock for its floor, where it has no checks more often: a
// look costs about 50 ns (two vDSO clock reads), under 10 % of 32
// iterations at any interpreter's pace.
const floorChunk = 32

// setPace makes m run at pad spin steps (in 1/256ths) an iteration, with
// a floor at ns nanoseconds an iteration (0: none).
func (m *machine) setPace(pad uint64, ns float64) {
	m.pad = pad
	m.floor = int64(math.Round(ns * 1000 / ticksPerIteration))
}

// holdFloor spins until the floor's time for the ticks m has counted
// since its mark has passed. It starts the mark if there is none.
func (m *machine) holdFloor() {
	if m.mark.IsZero() {
		m.mark, m.markTicks = time.Now(), m.ticks
		return
	}
	// In floating point: a long serial unit's ticks times a slow pace's
	// picoseconds can pass 2^64.
	due := time.Duration(float64(m.ticks-m.markTicks) * float64(m.floor) / 1000)
	for time.Since(m.mark) < due {
		m.sink = spin(m.sink, 16)
	}
}

// restartFloor moves the floor's mark to now: time spent in a check (the
// GIL's waits and hand-offs) is not the kernel's to make up.
func (m *machine) restartFloor() {
	m.mark, m.markTicks = time.Now(), m.ticks
}

// padShift is the fixed point of machine.pad.
const padShift = 8

// spin runs steps dependent multiply-adds: a few cycles each, whatever
// the core's width, with nothing for the compiler to fold.
func spin(x, steps uint64) uint64 {
	for ; steps > 0; steps-- {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// newFreeMachine returns a machine with no GIL: it only stops when the stop
// bit of breaker is set.
func newFreeMachine(breaker *atomic.Uint32) *machine {
	t := math.MaxInt
	return &machine{
		breaker:     breaker,
		ticker:      &t,
		interval:    math.MaxInt,
		nativeSlice: nativeSliceFree,
		check: func(bool) error {
			if breaker.Load()&breakStop != 0 {
				return errStopped
			}
			return nil
		},
	}
}

// run computes one unit of n iterations with kernel k.
func (m *machine) run(k Kernel, n uint64) (uint64, error) {
	if k == Bytecode {
		return m.runBytecode(n)
	}
	return m.runNative(n)
}

// sumRange adds lo..hi-1 to r. A plain loop: the Go compiler does not turn
// it into a closed form, so it costs one add per iteration.
func sumRange(r, lo, hi uint64) uint64 {
	for v := lo; v < hi; v++ {
		r += v
	}
	return r
}

// ticksPerIteration is how many ticks an iteration of the seed's loop
// counts in the bytecode kernel (see runBytecode), as in CPython 2.7.18.
const ticksPerIteration = 3

// runNative runs the loop in slices, counting ticksPerIteration ticks per
// iteration like the bytecode kernel, and takes the slow path between
// slices when the ticker expired or the breaker is set.
func (m *machine) runNative(n uint64) (uint64, error) {
	slice := m.nativeSlice
	// Under a Python 2 GIL a slice is one check interval's worth of ticks.
	if m.interval != math.MaxInt {
		slice = uint64(m.interval)/ticksPerIteration + 1
	}
	if m.floor != 0 && m.mark.IsZero() {
		m.holdFloor() // starts the mark
	}
	var r uint64
	for lo := uint64(0); lo < n; {
		hi := n
		if n-lo > slice {
			hi = lo + slice
		}
		r = sumRange(r, lo, hi)
		if m.pad != 0 {
			m.padAcc += m.pad * (hi - lo)
			m.sink = spin(m.sink, m.padAcc>>padShift)
			m.padAcc &= 1<<padShift - 1
		}
		ticks := ticksPerIteration * (hi - lo)
		m.ticks += ticks
		if m.floor != 0 {
			m.holdFloor()
		}
		lo = hi
		periodic := false
		if m.interval != math.MaxInt {
			*m.ticker -= int(ticks)
			if *m.ticker < 0 {
				*m.ticker = m.interval
				periodic = true
			}
		}
		if periodic || m.breaker.Load() != 0 {
			if err := m.check(periodic); err != nil {
				return 0, err
			}
			if m.floor != 0 {
				m.restartFloor()
			}
		}
	}
	return r, nil
}

// Opcodes of CPython 2.7 that the seed's function uses.
const (
	opLoadConst uint8 = iota
	opStoreFast
	opSetupLoop
	opLoadGlobal
	opLoadFast
	opCallFunction
	opGetIter
	opForIter
	opInplaceAdd
	opJumpAbsolute
	opPopBlock
	opReturnValue
)

type instr struct {
	op  uint8
	arg uint8
}

// Locals of the seed's function.
const (
	localN = iota
	localResult
	localV
	nLocals
)

// seedCode is what CPython 2.7's dis shows for
//
//	def f(n):
//	    result = 0
//	    for v in range(n):
//	        result += v
//	    return result
//
// with jump targets as instruction indexes.
var seedCode = [...]instr{
	0:  {opLoadConst, 0},           // 0
	1:  {opStoreFast, localResult}, // result
	2:  {opSetupLoop, 15},          // to POP_BLOCK's successor
	3:  {opLoadGlobal, 0},          // range
	4:  {opLoadFast, localN},       // n
	5:  {opCallFunction, 1},        // range(n)
	6:  {opGetIter, 0},             //
	7:  {opForIter, 14},            // exhausted: to POP_BLOCK
	8:  {opStoreFast, localV},      // v
	9:  {opLoadFast, localResult},  // result
	10: {opLoadFast, localV},       // v
	11: {opInplaceAdd, 0},          // result + v
	12: {opStoreFast, localResult}, // result
	13: {opJumpAbsolute, 7},        // back to FOR_ITER
	14: {opPopBlock, 0},            //
	15: {opLoadFast, localResult},  // result
	16: {opReturnValue, 0},         //
}

// runBytecode interprets seedCode for n. Like CPython 2.7's eval loop, the
// ticker is decremented at the top of the loop only: opcodes that end in
// `goto fast_next_opcode` (LOAD_FAST, STORE_FAST, LOAD_CONST) skip it. Its
// opcode prediction does not: CPython 2.7.18 as built here (pyenv, gcc,
// computed gotos) releases the GIL of this loop every 33.6 iterations
// with the default check interval of 100 (101 ticks), 3.0 ticks an
// iteration, as when PREDICT is compiled out, not the 2 ticks that
// GET_ITER → FOR_ITER and FOR_ITER → STORE_FAST predictions would leave
// (BENCHMARKS.md, "The Python 2 gap, measured"). A unit of n iterations
// thus ticks 3n+7 times: at the frame's first instruction, after
// SETUP_LOOP, LOAD_GLOBAL, CALL_FUNCTION and GET_ITER, three times per
// iteration (after FOR_ITER, INPLACE_ADD and JUMP_ABSOLUTE), and after the
// exhausted FOR_ITER and POP_BLOCK.
func (m *machine) runBytecode(n uint64) (uint64, error) {
	code := &seedCode
	var locals [nLocals]uint64
	locals[localN] = n
	// The value stack holds plain integers; the range object and its
	// iterator (at most one of each here) live beside it.
	var stack [8]uint64
	sp := 0
	var rangeLen, itCur, itEnd uint64
	pc := 0
	ticker := *m.ticker
	breaker := m.breaker
	var ticks uint64
	pad, padAcc, sink := m.pad, m.padAcc, m.sink
	floor, chunk := m.floor != 0, floorChunk
	// Where checks come every few chunks anyway (a Python 2 GIL's check
	// interval is 101 ticks, 34 iterations), the look before each check
	// holds the floor, and a look inside the interval would only add to
	// a hold what the calibration did not count.
	chunks := floor && m.interval > 3*floorChunk*ticksPerIteration
	if floor && m.mark.IsZero() {
		m.holdFloor() // starts the mark
	}
	for {
		ticks++
		ticker--
		if ticker < 0 || breaker.Load() != 0 {
			periodic := false
			if ticker < 0 {
				ticker = m.interval
				periodic = true
			}
			*m.ticker = ticker
			m.ticks += ticks
			ticks = 0
			if floor {
				m.sink = sink
				m.holdFloor()
				sink = m.sink
			}
			if err := m.check(periodic); err != nil {
				return 0, err
			}
			if floor {
				m.restartFloor()
			}
			ticker = *m.ticker
		}
	fast:
		in := code[pc]
		pc++
		switch in.op {
		case opLoadFast:
			stack[sp&7] = locals[in.arg]
			sp++
			goto fast
		case opStoreFast:
			sp--
			locals[in.arg] = stack[sp&7]
			goto fast
		case opForIter:
			if itCur < itEnd {
				stack[sp&7] = itCur
				itCur++
				sp++
				continue // no PREDICT(STORE_FAST): STORE_FAST ticks
			}
			sp-- // pop the exhausted iterator
			pc = int(in.arg)
		case opInplaceAdd:
			sp--
			stack[(sp-1)&7] += stack[sp&7]
		case opJumpAbsolute:
			pc = int(in.arg)
			if pad != 0 {
				// The end of an iteration: spin for the rest of what
				// one costs in the modelled interpreter.
				padAcc += pad
				for k := padAcc >> padShift; k > 0; k-- {
					sink = sink*6364136223846793005 + 1442695040888963407
				}
				padAcc &= 1<<padShift - 1
			}
			if chunks {
				if chunk--; chunk == 0 {
					chunk = floorChunk
					m.ticks += ticks
					ticks = 0
					m.sink = sink
					m.holdFloor()
					sink = m.sink
				}
			}
		case opLoadConst:
			stack[sp&7] = 0 // co_consts[0] is 0
			sp++
			goto fast
		case opSetupLoop, opPopBlock:
			// The block stack only matters for break/exceptions.
		case opLoadGlobal:
			stack[sp&7] = 0 // a stand-in for the builtin range
			sp++
		case opCallFunction:
			sp--
			rangeLen = stack[sp&7]
			// stack[sp-1] held range; it becomes the list range(n).
		case opGetIter:
			itCur, itEnd = 0, rangeLen
		case opReturnValue:
			sp--
			*m.ticker = ticker
			m.ticks += ticks
			m.padAcc, m.sink = padAcc, sink
			if floor {
				m.holdFloor() // the unit's last chunk
			}
			return stack[sp&7], nil
		}
	}
}
