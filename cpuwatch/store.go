// This file keeps a Recording's samples compactly: the tick deltas the
// kernel gave, as varints, from which every fraction is computed again on
// access, bit for bit the one the watch gave.

package cpuwatch

import (
	"encoding/binary"
	"iter"
	"math"
	"math/bits"
	"slices"
	"time"
)

// sampleStore holds a Recording's samples. Each sample is one stretch of
// bytes in an arena of chunks, decodable on its own: its total usage, the
// usage of each core, then its threads. A usage is
//
//	uvarint mask   bit j: field maskOrder[j] is not zero; storeSigned: the
//	               values are zigzag varints (some delta is negative), else
//	               uvarints; escapeBit alone: ten float64 bits follow
//	values         one per set bit, in maskOrder
//
// so that an idle core at 1 s (one field of 100 ticks) costs two bytes.
// Core ids are kept once per distinct list, and thread names once each.
// The zero sampleStore holds no samples and is ready to use.
type sampleStore struct {
	meta  []sampleMeta
	chunk []byte // the arena's chunk being filled; earlier ones are held by meta
	ids   [][]int
	names []string
	index map[string]uint32 // names' positions, built when first needed
	buf   []byte            // scratch for the sample being appended
	// empty says the samples are an empty list rather than none: JSON's
	// [] rather than null.
	empty bool
}

// sampleMeta is what a sample keeps outside the arena.
type sampleMeta struct {
	time    time.Time
	elapsed time.Duration
	data    []byte
	ids     int32 // index into sampleStore.ids; -1: Cores is nil
	threads bool  // Threads is not nil
}

const (
	// storeSigned in a usage's mask says its values are zigzag varints.
	storeSigned = escapeBit << 1
	// Chunks of the arena start small, so that a short recording stays
	// small, and double up to chunkMax, so that a long one wastes little
	// and never copies what it holds.
	chunkMin = 1 << 12
	chunkMax = 1 << 18
)

// Len returns the number of samples in the recording.
func (r *Recording) Len() int { return len(r.store.meta) }

// Sample returns sample i, 0 ≤ i < Len(), in time order. The sample owns
// its slices. It panics if i is out of range, as an index would.
func (r *Recording) Sample(i int) Sample {
	var s Sample
	r.SampleInto(i, &s)
	return s
}

// SampleInto sets *s to sample i, reusing the arrays behind s.Cores and
// s.Threads when they have room, as Decoder.Decode does: a loop over a long
// recording allocates nothing once they have grown.
func (r *Recording) SampleInto(i int, s *Sample) {
	st := &r.store
	m := &st.meta[i]
	s.Time, s.Elapsed = m.time, m.elapsed
	b := decodeUsage(m.data, &s.Total)
	if m.ids < 0 {
		s.Cores = nil
	} else {
		ids := st.ids[m.ids]
		if s.Cores == nil || cap(s.Cores) < len(ids) {
			s.Cores = make([]CoreUsage, len(ids))
		}
		s.Cores = s.Cores[:len(ids)]
		for k, id := range ids {
			c := &s.Cores[k]
			c.ID = id
			b = decodeUsage(b, &c.Usage)
		}
	}
	if !m.threads {
		s.Threads = nil
		return
	}
	n, b := uvarint(b)
	if s.Threads == nil || cap(s.Threads) < int(n) {
		s.Threads = make([]ThreadUsage, n)
	}
	s.Threads = s.Threads[:n]
	pid, tid := int64(0), int64(0)
	for k := range s.Threads {
		t := &s.Threads[k]
		var v, name, cpu, mig int64
		v, b = varint(b)
		pid += v
		v, b = varint(b)
		tid += v
		var nk uint64
		nk, b = uvarint(b)
		name = int64(nk)
		cpu, b = varint(b)
		mig, b = varint(b)
		*t = ThreadUsage{PID: int(pid), TID: int(tid), Name: st.names[name], CPU: int(cpu), Migrations: int(mig)}
		t.User, b = decodeThreadTime(b, m.elapsed)
		t.System, b = decodeThreadTime(b, m.elapsed)
	}
}

// All returns the samples in order with their indices. The slices of the
// Sample it yields are reused for the next one, as a watch's are: Clone a
// sample to keep it.
func (r *Recording) All() iter.Seq2[int, Sample] {
	return func(yield func(int, Sample) bool) {
		var s Sample
		for i := range r.Len() {
			r.SampleInto(i, &s)
			if !yield(i, s) {
				return
			}
		}
	}
}

// DropSamples removes every sample from the recording, keeping its other
// fields and, for the samples appended next, its memory: a reader that
// handles a long recording one sample at a time (see Decoder.DecodeTo)
// reuses one Recording. Samples read before it are unaffected.
func (r *Recording) DropSamples() {
	st := &r.store
	st.meta = st.meta[:0]
	st.chunk = st.chunk[:0]
	if n := len(st.ids); n > 1 {
		// The last list is the one the next sample most likely has.
		st.ids = append(st.ids[:0], st.ids[n-1])
	}
	st.empty = false
}

// SampleTime returns sample i's Time and Elapsed without decoding its
// usage: where it lies in time.
func (r *Recording) SampleTime(i int) (t time.Time, elapsed time.Duration) {
	m := &r.store.meta[i]
	return m.time, m.elapsed
}

// CoreIDs returns the ids of sample i's cores, in order: the ID of each of
// Sample(i).Cores, nil if Cores is nil. Samples with the same ids share one
// slice, which the caller must not modify.
func (r *Recording) CoreIDs(i int) []int {
	m := &r.store.meta[i]
	if m.ids < 0 {
		return nil
	}
	return r.store.ids[m.ids]
}

// CoreLoads fills, for each core k of sample i, busy[k] with
// 1 − Idle − IOWait, user[k] with User + Nice and system[k] with System,
// of Sample(i).Cores[k].Usage, exactly as computed from those fields; a
// nil slice is skipped, and one that is not must have room for every
// core. It allocates nothing, and costs a small part of SampleInto, which
// computes all ten fractions.
//
// It reports false, leaving the slices in an unspecified state, when
// some core of the sample has a usage kept as floats rather than ticks
// (one Append received that was no ratio of tick counts); the caller then
// reads the sample with SampleInto. When it reports true, every fraction
// the sums come from lies in [0, 1].
func (r *Recording) CoreLoads(i int, busy, user, system []float64) bool {
	m := &r.store.meta[i]
	if m.ids < 0 {
		return true
	}
	b := skipUsage(m.data)
	n := len(r.store.ids[m.ids])
	if busy != nil {
		busy = busy[:n]
	}
	if user != nil {
		user = user[:n]
	}
	if system != nil {
		system = system[:n]
	}
	for k := range n {
		// The commonest case of all, one word at a time: a mask of the
		// first seven fields only (no steal or guest time) and every
		// delta below 128, one byte each, as a core's are at intervals up
		// to a second. The sum and the fields are picked out of the word
		// with no branch per field; the arithmetic below is the same.
		if c := b[0]; c < 0x80 && len(b) >= 9 {
			cnt := bits.OnesCount8(c)
			vals := binary.LittleEndian.Uint64(b[1:]) & (1<<(8*cnt) - 1)
			if vals&0x8080808080808080 == 0 && c != 0 {
				b = b[1+cnt:]
				m := uint64(c)
				// pick returns the delta of mask bit i: the byte after
				// as many as there are set bits below it.
				pick := func(i uint) uint64 {
					at := bits.OnesCount64(m & (1<<i - 1))
					return (vals >> (8 * at)) & 0xff * (m >> i & 1)
				}
				v16 := vals&0x00ff00ff00ff00ff + vals>>8&0x00ff00ff00ff00ff
				s := float64(int64(v16 * 0x0001000100010001 >> 48))
				if busy != nil {
					v := 1 - float64(int64(pick(0)))/s // idle
					if io := pick(4); io != 0 {
						v -= float64(int64(io)) / s
					}
					busy[k] = v
				}
				if user != nil {
					v := float64(int64(pick(1))) / s
					if nice := pick(3); nice != 0 {
						v += float64(int64(nice)) / s
					}
					user[k] = v
				}
				if system != nil {
					system[k] = float64(int64(pick(2))) / s
				}
				continue
			}
		}
		// decodeDeltas written out for the common case: no negative
		// delta, each read only for the bits of the mask that are set.
		mask := uint64(b[0])
		if mask < 0x80 {
			b = b[1:]
		} else {
			mask, b = uvarint(b)
		}
		if mask&(escapeBit|storeSigned) != 0 {
			if mask == escapeBit {
				return false
			}
			var d deltas
			b = decodeSigned(b, mask, &d)
			loadsFrom(d.usage(), k, busy, user, system)
			continue
		}
		var d [numFields]uint64
		var or, raw uint64
		for m := mask; m != 0; m &= m - 1 {
			var v uint64
			if c := b[0]; c < 0x80 {
				v, b = uint64(c), b[1:]
			} else {
				v, b = uvarint(b)
			}
			d[maskOrder[bits.TrailingZeros64(m)]] = v
			or |= v
			raw += v
		}
		if or >= 1<<59 {
			var dd deltas
			for f, v := range d {
				dd[f] = int64(v)
			}
			loadsFrom(dd.usage(), k, busy, user, system)
			continue
		}
		// deltas.usage's integer path, for the fields asked for only:
		// guest time out of user and nice, where the kernel counts it too.
		uu, nice := d[fUser], d[fNice]
		sum := raw
		if g, gn := d[fGuest], d[fGuestNice]; g|gn != 0 {
			uu = uintDelta(g, uu)
			nice = uintDelta(gn, nice)
			sum = uu + nice + d[fSystem] + d[fIdle] + d[fIOWait] + d[fIRQ] + d[fSoftIRQ] + d[fSteal] + g + gn
		}
		if sum == 0 { // Usage{Idle: 1}
			loadsFrom(Usage{Idle: 1}, k, busy, user, system)
			continue
		}
		s := float64(int64(sum))
		// A field of 0 is the fraction +0, which subtracting or adding
		// leaves the other exactly as it is: one division saved.
		if busy != nil {
			v := 1 - float64(int64(d[fIdle]))/s
			if io := d[fIOWait]; io != 0 {
				v -= float64(int64(io)) / s
			}
			busy[k] = v
		}
		if user != nil {
			v := float64(int64(uu)) / s
			if nice != 0 {
				v += float64(int64(nice)) / s
			}
			user[k] = v
		}
		if system != nil {
			system[k] = float64(int64(d[fSystem])) / s
		}
	}
	return true
}

// loadsOfDeltas sets entry k of the slices of CoreLoads from d, exactly
// as from d.usage().
func loadsOfDeltas(d *deltas, k int, busy, user, system []float64) {
	var or int64
	for _, v := range d {
		or |= v
	}
	if or < 0 || or >= 1<<59 {
		loadsFrom(d.usage(), k, busy, user, system)
		return
	}
	uu, nice := uint64(d[fUser]), uint64(d[fNice])
	g, gn := uint64(d[fGuest]), uint64(d[fGuestNice])
	uu = uintDelta(g, uu)
	nice = uintDelta(gn, nice)
	sum := uu + nice + uint64(d[fSystem]) + uint64(d[fIdle]) + uint64(d[fIOWait]) + uint64(d[fIRQ]) + uint64(d[fSoftIRQ]) + uint64(d[fSteal]) + g + gn
	if sum == 0 {
		loadsFrom(Usage{Idle: 1}, k, busy, user, system)
		return
	}
	s := float64(int64(sum))
	if busy != nil {
		v := 1 - float64(d[fIdle])/s
		if io := d[fIOWait]; io != 0 {
			v -= float64(io) / s
		}
		busy[k] = v
	}
	if user != nil {
		v := float64(int64(uu)) / s
		if nice != 0 {
			v += float64(int64(nice)) / s
		}
		user[k] = v
	}
	if system != nil {
		system[k] = float64(d[fSystem]) / s
	}
}

// loadsFrom sets entry k of the slices of CoreLoads from u.
func loadsFrom(u Usage, k int, busy, user, system []float64) {
	if busy != nil {
		busy[k] = 1 - u.Idle - u.IOWait
	}
	if user != nil {
		user[k] = u.User + u.Nice
	}
	if system != nil {
		system[k] = u.System
	}
}

// Append adds a copy of s after the recording's last sample. Usage that a
// watch computed from two readings is kept as the tick deltas it came
// from, a few bytes per core; any other value (an average, a hand-made
// sample) is kept exactly, as float64s. Either way Sample returns it
// unchanged, bit for bit.
func (r *Recording) Append(s Sample) {
	hz := float64(userHZ)
	if r.Host.UserHZ > 0 {
		hz = float64(r.Host.UserHZ)
	}
	expect := s.Elapsed.Seconds() * hz
	st := &r.store
	b := st.buf[:0]
	b = appendRecovered(b, &s.Total, expect*float64(max(1, len(s.Cores))))
	for k := range s.Cores {
		b = appendRecovered(b, &s.Cores[k].Usage, expect)
	}
	st.add(&s, b)
}

// appendWatched is Append for a sample that a watch has just computed
// from prev and cur, on the hot path of Record: it takes the deltas from
// the readings, as diff did, rather than recovering them from s.
func (r *Recording) appendWatched(s *Sample, prev, cur *reading) {
	st := &r.store
	b := st.buf[:0]
	d, ok := deltasOf(&prev.total, &cur.total)
	if ok && !wentBack(&prev.total, &cur.total) {
		b = appendDeltas(b, &d)
	} else {
		b = appendFloats(b, &s.Total)
	}
	i, j := 0, 0
	for k := range s.Cores {
		cu := &s.Cores[k]
		for j < len(cur.cores) && cur.cores[j].id < cu.ID {
			j++
		}
		for i < len(prev.cores) && prev.cores[i].id < cu.ID {
			i++
		}
		if j < len(cur.cores) && i < len(prev.cores) && cur.cores[j].id == cu.ID && prev.cores[i].id == cu.ID {
			if d, ok := deltasOf(&prev.cores[i].t, &cur.cores[j].t); ok {
				b = appendDeltas(b, &d)
				continue
			}
		}
		b = appendFloats(b, &cu.Usage)
	}
	st.add(s, b)
}

// add keeps the sample s whose usage has been encoded in b, appending
// its ids and threads.
func (st *sampleStore) add(s *Sample, b []byte) {
	ids := int32(-1)
	if s.Cores != nil {
		ids = st.idList(s.Cores)
	}
	st.addIDs(s, ids, b)
}

// addIDs is add for a sample whose cores have the id list ids (-1: nil).
func (st *sampleStore) addIDs(s *Sample, ids int32, b []byte) {
	m := sampleMeta{time: s.Time, elapsed: s.Elapsed, ids: ids, threads: s.Threads != nil}
	if s.Threads != nil {
		b = binary.AppendUvarint(b, uint64(len(s.Threads)))
		pid, tid := 0, 0
		for k := range s.Threads {
			t := &s.Threads[k]
			b = binary.AppendVarint(b, int64(t.PID)-int64(pid))
			b = binary.AppendVarint(b, int64(t.TID)-int64(tid))
			pid, tid = t.PID, t.TID
			b = binary.AppendUvarint(b, uint64(st.name(t.Name)))
			b = binary.AppendVarint(b, int64(t.CPU))
			b = binary.AppendVarint(b, int64(t.Migrations))
			b = appendThreadTime(b, t.User, s.Elapsed)
			b = appendThreadTime(b, t.System, s.Elapsed)
		}
	}
	st.buf = b
	if len(st.chunk)+len(b) > cap(st.chunk) {
		size := chunkMin
		if c := cap(st.chunk); c > 0 {
			size = min(2*c, chunkMax)
		}
		st.chunk = make([]byte, 0, max(size, len(b)))
	}
	at := len(st.chunk)
	st.chunk = append(st.chunk, b...)
	m.data = st.chunk[at:len(st.chunk):len(st.chunk)]
	st.meta = append(st.meta, m)
}

// idList returns the index of cores' ids among the lists kept, adding
// them unless they are the last list's.
func (st *sampleStore) idList(cores []CoreUsage) int32 {
	if n := len(st.ids); n > 0 {
		last := st.ids[n-1]
		same := len(last) == len(cores)
		for k := 0; same && k < len(cores); k++ {
			same = last[k] == cores[k].ID
		}
		if same {
			return int32(n - 1)
		}
	}
	ids := make([]int, len(cores))
	for k := range cores {
		ids[k] = cores[k].ID
	}
	st.ids = append(st.ids, ids)
	return int32(len(st.ids) - 1)
}

// idListOf is idList for a list of ids, which it does not keep.
func (st *sampleStore) idListOf(ids []int) int32 {
	if n := len(st.ids); n > 0 && slices.Equal(st.ids[n-1], ids) {
		return int32(n - 1)
	}
	st.ids = append(st.ids, slices.Clone(ids))
	return int32(len(st.ids) - 1)
}

// name returns the index of a thread name, keeping it if it is new.
func (st *sampleStore) name(s string) uint32 {
	if st.index == nil {
		st.index = make(map[string]uint32, len(st.names))
		for k, n := range st.names {
			st.index[n] = uint32(k)
		}
	}
	k, ok := st.index[s]
	if !ok {
		k = uint32(len(st.names))
		st.names = append(st.names, s)
		st.index[s] = k
	}
	return k
}

// appendRecovered appends u as ticks if it is a ratio of tick counts
// about expect in all, else as floats.
func appendRecovered(b []byte, u *Usage, expect float64) []byte {
	if d, ok := recoverDeltas(u, expect); ok {
		return appendDeltas(b, &d)
	}
	return appendFloats(b, u)
}

// appendDeltas appends d as a usage (see sampleStore).
func appendDeltas(b []byte, d *deltas) []byte {
	var mask uint64
	var or int64
	for j, f := range maskOrder {
		v := d[f]
		if v != 0 {
			mask |= 1 << j
		}
		or |= v
	}
	if or < 0 {
		b = binary.AppendUvarint(b, mask|storeSigned)
		for j, f := range maskOrder {
			if mask&(1<<j) != 0 {
				b = binary.AppendVarint(b, d[f])
			}
		}
		return b
	}
	b = binary.AppendUvarint(b, mask)
	for m := mask; m != 0; m &= m - 1 {
		if v := uint64(d[maskOrder[bits.TrailingZeros64(m)]]); v < 0x80 {
			b = append(b, byte(v))
		} else {
			b = binary.AppendUvarint(b, v)
		}
	}
	return b
}

// appendFloats appends u as the escape and its ten float64s.
func appendFloats(b []byte, u *Usage) []byte {
	b = binary.AppendUvarint(b, escapeBit)
	for _, v := range u.fields() {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// decodeDeltas reads a usage kept as ticks into d and returns the rest of
// b, or reports false for one kept as floats, returning the rest all the
// same.
func decodeDeltas(b []byte, d *deltas) ([]byte, bool) {
	mask, b := uvarint(b)
	if mask == escapeBit {
		return b[8*numFields:], false
	}
	*d = deltas{}
	if mask&storeSigned != 0 {
		return decodeSigned(b, mask, d), true
	}
	for j, f := range maskOrder {
		if mask&(1<<j) != 0 {
			var v uint64
			v, b = uvarint(b)
			d[f] = int64(v)
		}
	}
	return b, true
}

// decodeSigned reads the zigzag values of a usage whose mask says so into
// d, which is zero, and returns the rest of b.
func decodeSigned(b []byte, mask uint64, d *deltas) []byte {
	for j, f := range maskOrder {
		if mask&(1<<j) != 0 {
			d[f], b = varint(b)
		}
	}
	return b
}

// decodeUsage reads a usage into u and returns the rest of b.
func decodeUsage(b []byte, u *Usage) []byte {
	var d deltas
	rest, ok := decodeDeltas(b, &d)
	if ok {
		*u = d.usage()
		return rest
	}
	_, b = uvarint(b)
	var f [numFields]float64
	for k := range f {
		f[k] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*k:]))
	}
	u.setFields(&f)
	return rest
}

// skipUsage returns b after the usage it starts with.
func skipUsage(b []byte) []byte {
	var d deltas
	b, _ = decodeDeltas(b, &d)
	return b
}

func decodeThreadTime(b []byte, elapsed time.Duration) (float64, []byte) {
	v, b := uvarint(b)
	if v == 1 {
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
	}
	return tickFraction(v>>1, elapsed), b
}

// uvarint reads a uvarint the store wrote, so known to be well formed.
func uvarint(b []byte) (uint64, []byte) {
	if c := b[0]; c < 0x80 {
		return uint64(c), b[1:]
	}
	v, n := binary.Uvarint(b)
	return v, b[n:]
}

func varint(b []byte) (int64, []byte) {
	u, b := uvarint(b)
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, b
}

// appendDecoded is Append for a sample a Decoder has just decoded with c:
// it keeps the deltas the file held rather than recovering them from s.
func (r *Recording) appendDecoded(s *Sample, c *codec) {
	st := &r.store
	b := st.buf[:0]
	if c.floats[0] {
		b = appendFloats(b, &s.Total)
	} else {
		b = appendDeltas(b, &c.prevTotal)
	}
	// The sample was decoded raw (see codec.decodeSample): its cores are
	// the codec's ids and deltas, and rawFloats.
	fl := c.rawFloats
	for k := range c.ids {
		if c.floats[k+1] {
			b = appendFloats(b, &fl[0])
			fl = fl[1:]
		} else {
			b = appendDeltas(b, &c.cores[k])
		}
	}
	ids := int32(-1)
	if !c.rawNil {
		ids = st.idListOf(c.ids)
	}
	st.addIDs(s, ids, b)
}
