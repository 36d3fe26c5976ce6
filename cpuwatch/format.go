package cpuwatch

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"time"
)

// The binary recording format is described in FORMAT.md.

// formatMagic starts every binary recording; its last byte is the version.
const formatMagic = "CSREC\r\n\x1a\x01"

// Block kinds.
const (
	blockHeader = 'H'
	blockSample = 'S'
	blockRun    = 'R'
)

// maxBlock bounds a block's payload, so that a damaged length cannot make
// a decoder allocate without limit.
const maxBlock = 1 << 26

// Flags of a sample block.
const (
	sfTimeZero = 1 << iota // Time is the zero time.Time
	sfSameIDs              // Cores has the previous sample's ids
	sfThreads              // Threads is not nil
	sfCoresNil             // Cores is nil
	sfAllFlags = 1<<iota - 1
)

// escapeBit in a usage's mask says ten float64s follow instead of ticks.
const escapeBit = 1 << numFields

// maskOrder is the order of the fields in a usage's mask: the ones that
// move most often first, so that their bits fit the mask's first byte.
var maskOrder = [numFields]int{fIdle, fUser, fSystem, fNice, fIOWait, fIRQ, fSoftIRQ, fSteal, fGuest, fGuestNice}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrTruncated and ErrCorrupt are the reasons a FormatError gives: a
// binary recording that ends inside a block, typically because the process
// writing it was killed, and one whose bytes are not a valid block.
var (
	ErrTruncated = errors.New("recording ends inside a block")
	ErrCorrupt   = errors.New("recording block is damaged")
)

// ErrNotBinary is wrapped, with ErrCorrupt, by the FormatError of a
// stream that does not start as a binary recording does: JSON, say.
var ErrNotBinary = errors.New("not a cpuwatch binary recording")

// FormatError is what a Decoder returns for a binary recording that is
// damaged from some byte on. Everything before Offset decoded correctly;
// nothing at or after it is trusted.
type FormatError struct {
	// Offset is the byte offset in the file of the block that failed.
	Offset int64
	// Err is ErrTruncated or ErrCorrupt, possibly wrapped with detail.
	Err error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("cpuwatch: binary recording damaged at byte %d: %v", e.Offset, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Header is what a binary recording says about itself before its
// samples: the fields of a Recording other than Samples and the run window.
type Header struct {
	DataID   string        `json:"data_id,omitempty"`
	Interval time.Duration `json:"interval"`
	Start    time.Time     `json:"start"`
	Host     Host          `json:"host"`
}

// Header returns the recording's facts other than its samples and run.
func (r *Recording) Header() Header {
	return Header{DataID: r.DataID, Interval: r.Interval, Start: r.Start, Host: r.Host}
}

// codec is the state that an Encoder and a Decoder keep alike: each
// value is written as a difference from the one before it.
type codec struct {
	hdr       Header
	hz        float64
	prevNs    int64
	prevKnown bool
	prevTotal deltas
	ids       []int
	cores     []deltas
	names     []string
	// floats says, for the sample last decoded, which usages were kept as
	// floats: the total at 0, then each core; the others are the deltas
	// in prevTotal and cores.
	floats []bool
	// For a sample decoded raw, into no Sample's Cores: whether Cores is
	// nil, and the usages kept as floats, in order.
	rawNil    bool
	rawFloats []Usage
	// skimmed is the first of the Cores that the last Skim set, which
	// the next one keeps if the ids did not change.
	skimmed *CoreUsage
}

func (c *codec) init(h Header) {
	c.hdr = h
	c.hz = userHZ
	if h.Host.UserHZ > 0 {
		c.hz = float64(h.Host.UserHZ)
	}
	if !h.Start.IsZero() {
		if ns, ok := unixNano(h.Start); ok {
			c.prevNs, c.prevKnown = ns, true
		}
	}
}

// unixNano returns t in nanoseconds since 1970, or false if t is outside
// the years 1678 to 2262 that an int64 of nanoseconds covers.
func unixNano(t time.Time) (int64, bool) {
	ns := t.UnixNano()
	return ns, time.Unix(0, ns).Equal(t)
}

// An Encoder writes a binary recording (see FORMAT.md) to a stream as its
// samples arrive. Each block goes to the writer in a single Write call and
// the Encoder buffers nothing, so a file holds every block whose Write
// returned even if the process is then killed: a Decoder reads all of them
// and reports the damaged tail. Wrap the writer in a bufio.Writer to trade
// that for fewer system calls.
//
// Samples whose usage is a ratio of tick counts, as a watch makes them, are
// kept as tick deltas, a few bytes per core; any other values are kept
// exactly, as float64s.
type Encoder struct {
	w      io.Writer
	c      codec
	names  map[string]uint64
	buf    []byte
	header bool
	err    error
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w, names: map[string]uint64{}}
}

// WriteHeader writes the recording's header. It must come first; Encode
// and WriteRun write a zero Header if it did not.
func (e *Encoder) WriteHeader(h Header) error {
	if e.err != nil {
		return e.err
	}
	if e.header {
		return errors.New("cpuwatch: header written twice")
	}
	if !h.Start.IsZero() {
		if _, ok := unixNano(h.Start); !ok {
			return fmt.Errorf("cpuwatch: start %v outside the binary format's years 1678 to 2262", h.Start)
		}
	}
	js, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("cpuwatch: encode header: %w", err)
	}
	e.header = true
	e.c.init(h)
	e.buf = append(e.buf[:0], formatMagic...)
	e.buf = appendBlock(e.buf, blockHeader, js)
	return e.write()
}

// WriteRun records the recorded function's run window; either time may be
// zero. A later WriteRun replaces an earlier one, so a streaming recorder
// writes the start when the run starts and both times when it ends.
func (e *Encoder) WriteRun(start, end time.Time) error {
	if err := e.ensureHeader(); err != nil {
		return err
	}
	var p []byte
	flags := uint64(0)
	var ns [2]int64
	for i, t := range []time.Time{start, end} {
		if t.IsZero() {
			continue
		}
		v, ok := unixNano(t)
		if !ok {
			return fmt.Errorf("cpuwatch: run time %v outside the binary format's years 1678 to 2262", t)
		}
		flags |= 1 << i
		ns[i] = v
	}
	p = binary.AppendUvarint(p, flags)
	for i := range ns {
		if flags&(1<<i) != 0 {
			p = binary.AppendVarint(p, ns[i])
		}
	}
	e.buf = appendBlock(e.buf[:0], blockRun, p)
	return e.write()
}

func (e *Encoder) ensureHeader() error {
	if e.err != nil {
		return e.err
	}
	if !e.header {
		return e.WriteHeader(Header{})
	}
	return nil
}

func (e *Encoder) write() error {
	if _, err := e.w.Write(e.buf); err != nil {
		e.err = fmt.Errorf("cpuwatch: write recording: %w", err)
		return e.err
	}
	return nil
}

// appendBlock appends a block of kind k holding payload p to b.
func appendBlock(b []byte, k byte, p []byte) []byte {
	start := len(b)
	b = append(b, k)
	b = binary.AppendUvarint(b, uint64(len(p)))
	b = append(b, p...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], crcTable))
}

// Encode writes one sample. Samples should come in time order, as a watch
// delivers them; Encode does not keep s or its slices.
func (e *Encoder) Encode(s Sample) error {
	if err := e.ensureHeader(); err != nil {
		return err
	}
	// The payload is built after a 1-byte kind and a maximal length,
	// then moved down next to the real length.
	const room = 1 + binary.MaxVarintLen64
	b := append(e.buf[:0], make([]byte, room)...)
	b, err := e.appendSample(b, &s)
	if err != nil {
		// The encoder's state may have moved on without the block.
		e.err = err
		return err
	}
	p := b[room:]
	if len(p) > maxBlock {
		e.err = fmt.Errorf("cpuwatch: sample of %d bytes too large for the binary format", len(p))
		return e.err
	}
	var hd [room]byte
	hd[0] = blockSample
	n := 1 + binary.PutUvarint(hd[1:], uint64(len(p)))
	start := room - n
	copy(b[start:], hd[:n])
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], crcTable))
	e.buf = b
	if _, err := e.w.Write(b[start:]); err != nil {
		e.err = fmt.Errorf("cpuwatch: write recording: %w", err)
		return e.err
	}
	return nil
}

func (e *Encoder) appendSample(b []byte, s *Sample) ([]byte, error) {
	c := &e.c
	flags := uint64(0)
	var ns int64
	if s.Time.IsZero() {
		flags |= sfTimeZero
	} else {
		var ok bool
		if ns, ok = unixNano(s.Time); !ok {
			return b, fmt.Errorf("cpuwatch: sample time %v outside the binary format's years 1678 to 2262", s.Time)
		}
	}
	same := s.Cores != nil && len(s.Cores) == len(c.ids)
	for i := 0; same && i < len(s.Cores); i++ {
		same = s.Cores[i].ID == c.ids[i]
	}
	if same {
		flags |= sfSameIDs
	}
	if s.Threads != nil {
		flags |= sfThreads
	}
	if s.Cores == nil {
		flags |= sfCoresNil
	}
	b = binary.AppendUvarint(b, flags)

	ref := int64(c.hdr.Interval)
	if flags&sfTimeZero == 0 {
		if c.prevKnown {
			b = binary.AppendVarint(b, ns-c.prevNs-int64(c.hdr.Interval))
			ref = ns - c.prevNs
		} else {
			b = binary.AppendVarint(b, ns)
		}
		c.prevNs, c.prevKnown = ns, true
	}
	b = binary.AppendVarint(b, int64(s.Elapsed)-ref)

	if !same {
		b = binary.AppendUvarint(b, uint64(len(s.Cores)))
		c.ids = c.ids[:0]
		last := -1
		for _, cu := range s.Cores {
			b = binary.AppendVarint(b, int64(cu.ID)-int64(last)-1)
			last = cu.ID
			c.ids = append(c.ids, cu.ID)
		}
		c.cores = append(c.cores[:0], make([]deltas, len(s.Cores))...)
	}
	expect := s.Elapsed.Seconds() * c.hz
	b = appendUsage(b, &s.Total, &c.prevTotal, expect*float64(max(1, len(s.Cores))))
	for i := range s.Cores {
		b = appendUsage(b, &s.Cores[i].Usage, &c.cores[i], expect)
	}
	if s.Threads != nil {
		b = binary.AppendUvarint(b, uint64(len(s.Threads)))
		lastPID, lastTID := 0, 0
		for i := range s.Threads {
			t := &s.Threads[i]
			b = binary.AppendVarint(b, int64(t.PID)-int64(lastPID))
			b = binary.AppendVarint(b, int64(t.TID)-int64(lastTID))
			lastPID, lastTID = t.PID, t.TID
			k, ok := e.names[t.Name]
			if !ok {
				k = uint64(len(e.names))
				e.names[t.Name] = k
				b = binary.AppendUvarint(b, k)
				b = binary.AppendUvarint(b, uint64(len(t.Name)))
				b = append(b, t.Name...)
			} else {
				b = binary.AppendUvarint(b, k)
			}
			b = binary.AppendVarint(b, int64(t.CPU))
			b = binary.AppendVarint(b, int64(t.Migrations))
			b = appendThreadTime(b, t.User, s.Elapsed)
			b = appendThreadTime(b, t.System, s.Elapsed)
		}
	}
	return b, nil
}

// appendUsage appends u as tick deltas, each the difference from ref's,
// which it then updates, or as floats when u is no ratio of ticks.
func appendUsage(b []byte, u *Usage, ref *deltas, expect float64) []byte {
	d, ok := recoverDeltas(u, expect)
	if !ok {
		b = binary.AppendUvarint(b, escapeBit)
		for _, v := range u.fields() {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	var mask uint64
	for j, f := range maskOrder {
		if d[f] != ref[f] {
			mask |= 1 << j
		}
	}
	b = binary.AppendUvarint(b, mask)
	for j, f := range maskOrder {
		if mask&(1<<j) != 0 {
			b = binary.AppendVarint(b, d[f]-ref[f])
		}
	}
	*ref = d
	return b
}

// appendThreadTime appends a thread's User or System: ticks shifted left
// by one, or 1 and the float64's bits when v is no count of ticks.
func appendThreadTime(b []byte, v float64, elapsed time.Duration) []byte {
	if t, ok := threadTicks(v, elapsed); ok {
		return binary.AppendUvarint(b, t<<1)
	}
	b = binary.AppendUvarint(b, 1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// A Decoder reads a binary recording (see FORMAT.md) from a stream, one
// sample at a time, holding no more than one sample's blocks in memory.
type Decoder struct {
	r        *bufio.Reader
	off      int64 // of the next byte of r
	c        codec
	header   bool
	runStart time.Time
	runEnd   time.Time
	payload  []byte
	skim     bool // Skim was called: usage state is not kept
	// raw says the sample being decoded goes to a Recording, which keeps
	// its deltas: its fractions are not computed.
	raw     bool
	scratch Sample // DecodeTo's
	last    bool   // the last DecodeTo read a sample, in scratch and c
	err     error
}

// NewDecoder returns a Decoder that reads from r. It reads ahead of what
// it has decoded, through its own buffer.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10)}
}

// Header reads the recording's header if it has not been read yet, and
// returns it.
func (d *Decoder) Header() (Header, error) {
	if d.header {
		return d.c.hdr, nil
	}
	if d.err != nil {
		return Header{}, d.err
	}
	var m [len(formatMagic)]byte
	n, err := io.ReadFull(d.r, m[:])
	if string(m[:n]) != formatMagic[:n] {
		return Header{}, d.fail(0, fmt.Errorf("%w: %w", ErrCorrupt, ErrNotBinary))
	}
	if err != nil {
		return Header{}, d.fail(0, ErrTruncated)
	}
	d.off = int64(n)
	off := d.off
	k, p, err := d.block()
	if err == io.EOF {
		return Header{}, d.fail(off, ErrTruncated)
	}
	if err != nil {
		return Header{}, err
	}
	if k != blockHeader {
		return Header{}, d.fail(off, fmt.Errorf("%w: block %q where the header belongs", ErrCorrupt, k))
	}
	var h Header
	if err := json.Unmarshal(p, &h); err != nil {
		return Header{}, d.fail(off, fmt.Errorf("%w: header: %v", ErrCorrupt, err))
	}
	d.c.init(h)
	d.header = true
	return h, nil
}

// Run returns the run window of the last run block read so far.
func (d *Decoder) Run() (start, end time.Time) { return d.runStart, d.runEnd }

// fail makes err, at offset off, the Decoder's error from now on.
func (d *Decoder) fail(off int64, err error) error {
	d.err = &FormatError{Offset: off, Err: err}
	return d.err
}

// block reads the next block, checks its checksum, and returns its kind
// and payload, which is valid until the next call. It returns io.EOF at
// the end of the stream between blocks.
func (d *Decoder) block() (byte, []byte, error) {
	off := d.off
	k, err := d.r.ReadByte()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		return 0, nil, d.readErr(off, err)
	}
	var hd [1 + binary.MaxVarintLen64]byte
	hd[0] = k
	n := 1
	var size uint64
	for shift := 0; ; shift += 7 {
		c, err := d.r.ReadByte()
		if err != nil {
			return 0, nil, d.readErr(off, err)
		}
		if n == len(hd) || (shift == 63 && c > 1) {
			return 0, nil, d.fail(off, fmt.Errorf("%w: bad block length", ErrCorrupt))
		}
		hd[n] = c
		n++
		size |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	if size > maxBlock {
		return 0, nil, d.fail(off, fmt.Errorf("%w: block length %d over the limit", ErrCorrupt, size))
	}
	if cap(d.payload) < int(size)+4 {
		d.payload = make([]byte, int(size)+4)
	}
	p := d.payload[:size+4]
	if _, err := io.ReadFull(d.r, p); err != nil {
		return 0, nil, d.readErr(off, err)
	}
	crc := crc32.Update(crc32.Checksum(hd[:n], crcTable), crcTable, p[:size])
	if crc != binary.LittleEndian.Uint32(p[size:]) {
		return 0, nil, d.fail(off, fmt.Errorf("%w: checksum mismatch", ErrCorrupt))
	}
	d.off += int64(n) + int64(size) + 4
	return k, p[:size], nil
}

func (d *Decoder) readErr(off int64, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return d.fail(off, ErrTruncated)
	}
	d.err = fmt.Errorf("cpuwatch: read recording: %w", err)
	return d.err
}

// Decode reads the next sample into s. It returns io.EOF after the last
// sample of an intact stream, and a *FormatError for a damaged one, after
// the last sample that decoded correctly. Run blocks met on the way update
// Run.
//
// Decode reuses the arrays behind s.Cores and s.Threads when they have
// room, as a watch reuses its samples' slices: pass a zero Sample, or
// Clone, to keep samples.
func (d *Decoder) Decode(s *Sample) error {
	if d.skim {
		return errors.New("cpuwatch: Decode after Skim")
	}
	d.last = false
	return d.decode(s)
}

func (d *Decoder) decode(s *Sample) error {
	if d.err != nil {
		return d.err
	}
	if _, err := d.Header(); err != nil {
		return err
	}
	for {
		off := d.off
		k, p, err := d.block()
		if err != nil {
			return err
		}
		switch k {
		case blockSample:
			if err := d.c.decodeSample(p, s, d.skim, d.raw); err != nil {
				return d.fail(off, fmt.Errorf("%w: sample: %v", ErrCorrupt, err))
			}
			return nil
		case blockRun:
			if err := d.decodeRun(p); err != nil {
				return d.fail(off, fmt.Errorf("%w: run: %v", ErrCorrupt, err))
			}
		case blockHeader:
			return d.fail(off, fmt.Errorf("%w: second header", ErrCorrupt))
		default:
			// A kind from a later version: skipped, as its checksum held.
		}
	}
}

// DecodeTo reads the next sample as Decode does and appends it to rec,
// which keeps the tick deltas the stream holds as they are: it computes
// no fraction, so it costs a part of a Decode, and rec's Sample returns
// what Decode would have. A reader that handles one sample at a time
// calls rec.DropSamples before each DecodeTo, and so reuses one
// Recording's memory. rec's facts are left alone.
//
// A nil rec reads the sample without keeping it, for LastCoreIDs,
// LastCoreLoads and LastSample: the cheapest way through a stream.
func (d *Decoder) DecodeTo(rec *Recording) error {
	if d.skim {
		return errors.New("cpuwatch: DecodeTo after Skim")
	}
	d.raw = true
	d.last = false
	err := d.decode(&d.scratch)
	d.raw = false
	if err != nil {
		return err
	}
	d.last = true
	if rec != nil {
		rec.appendDecoded(&d.scratch, &d.c)
	}
	return nil
}

// LastCoreIDs returns the ids of the cores of the sample the last
// DecodeTo read, in order (nil if its Cores is nil, or if the last call
// failed). The slice is valid until the next call of the Decoder.
func (d *Decoder) LastCoreIDs() []int {
	if !d.last || d.c.rawNil {
		return nil
	}
	return d.c.ids
}

// LastCoreLoads is Recording.CoreLoads for the sample the last DecodeTo
// read: it fills, for each of LastCoreIDs, busy, user and system (nil
// slices skipped), and reports false when some core usage of the sample
// is kept as floats, for which LastSample gives the whole sample.
func (d *Decoder) LastCoreLoads(busy, user, system []float64) bool {
	if !d.last {
		return false
	}
	for k := range d.LastCoreIDs() {
		if d.c.floats[k+1] {
			return false
		}
		loadsOfDeltas(&d.c.cores[k], k, busy, user, system)
	}
	return true
}

// LastSample sets *s to the sample the last DecodeTo read, as Decode
// would have, reusing the arrays behind s.Cores and s.Threads.
func (d *Decoder) LastSample(s *Sample) {
	if !d.last {
		*s = Sample{}
		return
	}
	c := &d.c
	src := &d.scratch
	s.Time, s.Elapsed = src.Time, src.Elapsed
	s.Total = src.Total
	if !c.floats[0] {
		s.Total = c.prevTotal.usage()
	}
	if c.rawNil {
		s.Cores = nil
	} else {
		if s.Cores == nil || cap(s.Cores) < len(c.ids) {
			s.Cores = make([]CoreUsage, len(c.ids))
		}
		s.Cores = s.Cores[:len(c.ids)]
		fl := c.rawFloats
		for k, id := range c.ids {
			s.Cores[k].ID = id
			if c.floats[k+1] {
				s.Cores[k].Usage, fl = fl[0], fl[1:]
			} else {
				s.Cores[k].Usage = c.cores[k].usage()
			}
		}
	}
	if src.Threads == nil {
		s.Threads = nil
	} else {
		s.Threads = append(s.Threads[:0], src.Threads...)
	}
}

// Skim reads the next sample as Decode does but decodes only its shape:
// it sets s.Time, s.Elapsed and the ID of each of s.Cores, and leaves the
// usage zero and Threads nil. A pass that needs only where the samples lie
// in time and which cores they hold costs a small part of a Decode's.
// The checksums are checked all the same, but not the usage, so Skim may
// read on past a block whose usage Decode would reject. Once a Decoder has
// skimmed a sample, its Decode returns an error. While the core ids stay
// the same, a Skim into the Sample the last Skim filled leaves its Cores
// as they are, so that a pass over many cores costs little: a caller that
// changes them between calls passes a fresh Sample.
func (d *Decoder) Skim(s *Sample) error {
	d.skim = true
	return d.decode(s)
}

func (d *Decoder) decodeRun(p []byte) error {
	r := payloadReader{b: p}
	flags := r.uvarint()
	var t [2]time.Time
	for i := range t {
		if flags&(1<<i) != 0 {
			t[i] = time.Unix(0, r.varint())
		}
	}
	if flags > 3 {
		r.bad("unknown flags")
	}
	if err := r.end(); err != nil {
		return err
	}
	d.runStart, d.runEnd = t[0], t[1]
	return nil
}

// payloadReader reads varints from a block's payload, remembering the
// first error.
type payloadReader struct {
	b   []byte
	err error
}

func (r *payloadReader) bad(what string) {
	if r.err == nil {
		r.err = errors.New(what)
	}
	r.b = nil
}

func (r *payloadReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *payloadReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *payloadReader) float() float64 {
	if len(r.b) < 8 {
		r.bad("short float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// count reads a count of items of at least min bytes each that the rest
// of the payload can hold.
func (r *payloadReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.bad("count larger than the block")
		return 0
	}
	return int(n)
}

// int reads a varint that must fit an int.
func (r *payloadReader) int() int {
	v := r.varint()
	if int64(int(v)) != v {
		r.bad("value out of range")
	}
	return int(v)
}

func (r *payloadReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	return r.err
}

func (c *codec) decodeSample(p []byte, s *Sample, skim, raw bool) error {
	r := payloadReader{b: p}
	flags := r.uvarint()
	if flags&^sfAllFlags != 0 {
		return errors.New("unknown flags")
	}
	s.Time = time.Time{}
	ref := int64(c.hdr.Interval)
	if flags&sfTimeZero == 0 {
		v := r.varint()
		ns := v
		if c.prevKnown {
			ns = c.prevNs + int64(c.hdr.Interval) + v
			ref = ns - c.prevNs
		}
		c.prevNs, c.prevKnown = ns, true
		s.Time = time.Unix(0, ns)
	}
	s.Elapsed = time.Duration(r.varint() + ref)

	if flags&sfSameIDs == 0 {
		n := r.count(1)
		c.ids = c.ids[:0]
		last := int64(-1)
		for range n {
			id := last + 1 + r.varint()
			if int64(int(id)) != id {
				r.bad("core id out of range")
				break
			}
			c.ids = append(c.ids, int(id))
			last = id
		}
		if r.err != nil {
			return r.err
		}
		c.cores = append(c.cores[:0], make([]deltas, n)...)
	} else if flags&sfCoresNil != 0 {
		return errors.New("nil cores with the previous ids")
	}
	if skim {
		s.Total = Usage{}
		s.Threads = nil
		if flags&sfSameIDs != 0 && len(s.Cores) == len(c.ids) && len(c.ids) > 0 && &s.Cores[0] == c.skimmed {
			return r.err // the cores the last Skim set, as they are
		}
		s.Cores = s.Cores[:0]
		if flags&sfCoresNil != 0 {
			s.Cores = nil
		} else if s.Cores == nil {
			s.Cores = make([]CoreUsage, 0, len(c.ids))
		}
		for _, id := range c.ids {
			s.Cores = append(s.Cores, CoreUsage{ID: id})
		}
		c.skimmed = nil
		if len(s.Cores) > 0 {
			c.skimmed = &s.Cores[0]
		}
		return r.err
	}
	c.floats = append(c.floats[:0], !r.usage(&s.Total, &c.prevTotal, raw))
	if raw {
		// Into the deltas alone: DecodeTo keeps them, and the ids.
		c.rawNil = flags&sfCoresNil != 0
		if c.rawNil && len(c.ids) != 0 {
			return errors.New("nil cores with ids")
		}
		c.rawFloats = c.rawFloats[:0]
		for i := range c.ids {
			var u Usage
			ticks := r.usage(&u, &c.cores[i], true)
			c.floats = append(c.floats, !ticks)
			if !ticks {
				c.rawFloats = append(c.rawFloats, u)
			}
		}
	} else if flags&sfCoresNil != 0 {
		if len(c.ids) != 0 {
			return errors.New("nil cores with ids")
		}
		s.Cores = nil
	} else {
		if s.Cores == nil {
			s.Cores = make([]CoreUsage, 0, len(c.ids))
		}
		s.Cores = s.Cores[:0]
		for i, id := range c.ids {
			s.Cores = append(s.Cores, CoreUsage{ID: id})
			c.floats = append(c.floats, !r.usage(&s.Cores[i].Usage, &c.cores[i], raw))
		}
	}
	if flags&sfThreads == 0 {
		s.Threads = nil
	} else {
		n := r.count(7)
		if s.Threads == nil {
			s.Threads = make([]ThreadUsage, 0, n)
		}
		s.Threads = s.Threads[:0]
		pid, tid := 0, 0
		for range n {
			var t ThreadUsage
			pid += r.int()
			tid += r.int()
			t.PID, t.TID = pid, tid
			k := r.uvarint()
			switch {
			case k < uint64(len(c.names)):
				t.Name = c.names[k]
			case k == uint64(len(c.names)):
				l := r.count(1)
				t.Name = string(r.b[:l])
				r.b = r.b[l:]
				c.names = append(c.names, t.Name)
			default:
				r.bad("unknown thread name")
			}
			t.CPU = r.int()
			t.Migrations = r.int()
			t.User = r.threadTime(s.Elapsed)
			t.System = r.threadTime(s.Elapsed)
			if r.err != nil {
				break
			}
			s.Threads = append(s.Threads, t)
		}
	}
	return r.end()
}

// usage reads what appendUsage wrote, and reports whether it was ticks.
// With raw set it leaves u as it is for ticks, whose deltas are in ref.
func (r *payloadReader) usage(u *Usage, ref *deltas, raw bool) bool {
	if b := r.b; len(b) > 0 && b[0] < 0x80 {
		// A mask of the first seven fields, and values of one byte
		// mostly: read without the general varint code.
		mask := uint64(b[0])
		b = b[1:]
		for m := mask; m != 0; m &= m - 1 {
			var v int64
			if len(b) > 0 && b[0] < 0x80 {
				x := uint64(b[0])
				v, b = int64(x>>1)^-int64(x&1), b[1:]
			} else {
				var n int
				if v, n = binary.Varint(b); n <= 0 {
					r.bad("bad varint")
					return false
				}
				b = b[n:]
			}
			ref[maskOrder[bits.TrailingZeros64(m)]] += v
		}
		r.b = b
		if !raw {
			*u = ref.usage()
		}
		return true
	}
	mask := r.uvarint()
	if mask == escapeBit {
		var f [numFields]float64
		for i := range f {
			f[i] = r.float()
		}
		u.setFields(&f)
		return false
	}
	if mask >= escapeBit {
		r.bad("bad usage mask")
		return false
	}
	for j, f := range maskOrder {
		if mask&(1<<j) != 0 {
			ref[f] += r.varint()
		}
	}
	if !raw {
		*u = ref.usage()
	}
	return true
}

func (r *payloadReader) threadTime(elapsed time.Duration) float64 {
	v := r.uvarint()
	switch {
	case v == 1:
		return r.float()
	case v&1 != 0:
		r.bad("bad thread time")
		return 0
	}
	return tickFraction(v>>1, elapsed)
}

// WriteRecording writes rec to w in the binary format: its header, its run
// window and its samples. ReadRecording reads it back identical.
func WriteRecording(w io.Writer, rec *Recording) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	e := NewEncoder(bw)
	if err := e.WriteHeader(rec.Header()); err != nil {
		return err
	}
	if !rec.RunStart.IsZero() || !rec.RunEnd.IsZero() {
		if err := e.WriteRun(rec.RunStart, rec.RunEnd); err != nil {
			return err
		}
	}
	var s Sample
	for i := range rec.Len() {
		rec.SampleInto(i, &s)
		if err := e.Encode(s); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cpuwatch: write recording: %w", err)
	}
	return nil
}

// ReadRecording reads a whole binary recording. If the stream is damaged
// it returns every sample before the damage together with the
// *FormatError that says where it is; the Recording is nil only when not
// even the header could be read.
func ReadRecording(r io.Reader) (*Recording, error) {
	d := NewDecoder(r)
	h, err := d.Header()
	if err != nil {
		return nil, err
	}
	rec := &Recording{DataID: h.DataID, Interval: h.Interval, Start: h.Start, Host: h.Host}
	for {
		err := d.DecodeTo(rec)
		if err != nil {
			rec.RunStart, rec.RunEnd = d.Run()
			if err == io.EOF {
				err = nil
			}
			return rec, err
		}
	}
}
