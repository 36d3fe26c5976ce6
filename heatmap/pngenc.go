package heatmap

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"runtime"
	"sync"
)

// minParallelPNG is the number of pixels from which encodePNG compresses
// bands of rows on several goroutines; below it, png.Encoder does it all.
const minParallelPNG = 1 << 20

// encodePNG writes img as a PNG at png.BestSpeed. A big picture is cut
// into GOMAXPROCS bands of rows, each deflated on its own goroutine and
// ended with a sync flush, so that the pieces join into one zlib stream
// (as pigz does); the checksums of the pieces are combined.
func encodePNG(w io.Writer, img *image.Paletted) error {
	return encodePNGN(w, img, runtime.GOMAXPROCS(0))
}

// encodePNGN is encodePNG on up to workers goroutines; 1 is png.Encoder.
func encodePNGN(w io.Writer, img *image.Paletted, workers int) error {
	b := img.Bounds()
	wd, ht := b.Dx(), b.Dy()
	workers = min(workers, ht)
	// Palettes of up to 16 colours get fewer bits per pixel from
	// png.Encoder; this path writes 8.
	if workers < 2 || wd*ht < minParallelPNG || len(img.Palette) <= 16 || len(img.Palette) > 256 {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		return enc.Encode(w, img)
	}

	type piece struct {
		buf   bytes.Buffer
		adler uint32
		n     int // uncompressed bytes
		err   error
	}
	pieces := make([]piece, workers)
	var wg sync.WaitGroup
	for k := range pieces {
		wg.Go(func() {
			p := &pieces[k]
			y0, y1 := b.Min.Y+ht*k/workers, b.Min.Y+ht*(k+1)/workers
			fw, err := flate.NewWriter(&p.buf, flate.BestSpeed)
			if err != nil {
				p.err = err
				return
			}
			h := adler32.New()
			row := make([]byte, 1+wd) // filter type 0 (none), as png.Encoder uses for paletted images
			for y := y0; y < y1; y++ {
				copy(row[1:], img.Pix[img.PixOffset(b.Min.X, y):][:wd])
				h.Write(row)
				if _, err := fw.Write(row); err != nil {
					p.err = err
					return
				}
			}
			if k == workers-1 {
				p.err = fw.Close()
			} else {
				p.err = fw.Flush()
			}
			p.adler, p.n = h.Sum32(), (y1-y0)*len(row)
		})
	}
	wg.Wait()

	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(wd))
	binary.BigEndian.PutUint32(hdr[4:], uint32(ht))
	hdr[8], hdr[9] = 8, 3 // bit depth, colour type: palette
	if _, err := io.WriteString(w, "\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	if err := writeChunk(w, "IHDR", hdr[:]); err != nil {
		return err
	}
	plte := make([]byte, 0, 3*len(img.Palette))
	trns := make([]byte, 0, len(img.Palette))
	last := -1 // the last colour not opaque
	for i, c := range img.Palette {
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		plte = append(plte, n.R, n.G, n.B)
		trns = append(trns, n.A)
		if n.A != 0xff {
			last = i
		}
	}
	if err := writeChunk(w, "PLTE", plte); err != nil {
		return err
	}
	if last >= 0 {
		if err := writeChunk(w, "tRNS", trns[:last+1]); err != nil {
			return err
		}
	}
	sum := uint32(1) // adler32 of nothing
	for k := range pieces {
		p := &pieces[k]
		if p.err != nil {
			return p.err
		}
		sum = adler32Combine(sum, p.adler, p.n)
		data := p.buf.Bytes()
		if k == 0 {
			data = append([]byte{0x78, 0x01}, data...) // zlib header: deflate, 32 KiB window, fastest
		}
		if k == len(pieces)-1 {
			data = binary.BigEndian.AppendUint32(data, sum)
		}
		if err := writeChunk(w, "IDAT", data); err != nil {
			return err
		}
	}
	return writeChunk(w, "IEND", nil)
}

// writeChunk writes one PNG chunk: length, type, data, CRC of type and data.
func writeChunk(w io.Writer, typ string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, b := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// adler32Combine returns the Adler-32 of the concatenation of two byte
// strings from their checksums a1 and a2 and the length n2 of the second
// (zlib's adler32_combine).
func adler32Combine(a1, a2 uint32, n2 int) uint32 {
	const base = 65521
	rem := uint32(n2 % base)
	sum1 := a1 & 0xffff
	sum2 := uint32((uint64(rem) * uint64(sum1)) % base)
	sum1 += (a2 & 0xffff) + base - 1
	sum2 += (a1 >> 16) + (a2 >> 16) + base - rem
	if sum1 >= base {
		sum1 -= base
	}
	if sum1 >= base {
		sum1 -= base
	}
	if sum2 >= base<<1 {
		sum2 -= base << 1
	}
	if sum2 >= base {
		sum2 -= base
	}
	return sum1 | sum2<<16
}
