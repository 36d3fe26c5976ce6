package heatmap_test

import (
	"bytes"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

// fleet returns hosts recordings of cores cores each, core k of host h
// busy when k ≡ h (mod 2), over n one-second samples.
func fleet(hosts, cores, n int, name func(h int) string) []*cpuwatch.Recording {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var recs []*cpuwatch.Recording
	for h := range hosts {
		rec := &cpuwatch.Recording{DataID: name(h), Interval: time.Second, Host: cpuwatch.Host{Hostname: name(h)}}
		for i := range n {
			s := cpuwatch.Sample{Time: t0.Add(time.Duration(i+1) * time.Second), Elapsed: time.Second}
			for k := range cores {
				u := cpuwatch.Usage{Idle: 1}
				if k%2 == h%2 {
					u = cpuwatch.Usage{User: 1}
				}
				s.Cores = append(s.Cores, cpuwatch.CoreUsage{ID: k, Usage: u})
			}
			rec.Append(s)
		}
		recs = append(recs, rec)
	}
	return recs
}

func TestWriteFleetPNG(t *testing.T) {
	recs := fleet(3, 4, 30, func(h int) string { return fmt.Sprintf("node%d", h) })
	var buf bytes.Buffer
	if err := heatmap.WriteFleetPNG(&buf, recs, heatmap.Options{}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// Find the grid's columns by its frame: the middle column of the
	// picture runs through every row; busy cells are the colour map's top
	// (yellow), idle ones its bottom (dark), and the two gaps between the
	// hosts are white.
	x := img.Bounds().Dx() / 2
	var runs []string
	for y := range img.Bounds().Dy() {
		r, g, b, _ := img.At(x, y).RGBA()
		k := "other"
		switch {
		case r>>8 > 0xe0 && g>>8 > 0xd0 && b>>8 < 0x60:
			k = "busy"
		case r>>8 < 0x60 && g>>8 < 0x30 && b>>8 > 0x40 && b>>8 < 0x90:
			k = "idle"
		case r>>8 == 0xff && g>>8 == 0xff && b>>8 == 0xff:
			k = "white"
		}
		if len(runs) == 0 || runs[len(runs)-1] != k {
			runs = append(runs, k)
		}
	}
	// Drop what lies above and below the grid.
	i, j := slices.Index(runs, "busy"), len(runs)-1
	for j > 0 && runs[j] != "idle" && runs[j] != "busy" {
		j--
	}
	if i < 0 {
		t.Fatalf("no busy cell down the middle column: %s", strings.Join(runs, " "))
	}
	got := strings.Join(runs[i:j+1], " ")
	want := "busy idle busy idle white idle busy idle busy white busy idle busy idle"
	if got != want {
		t.Errorf("down the middle column: %s\nwant %s", got, want)
	}
}

func ExampleWriteFleetPNG() {
	recs := fleet(100, 64, 60, func(h int) string { return fmt.Sprintf("node%02d", h) })
	var buf bytes.Buffer
	// 6,400 cores do not fit one row each: the picture is the busy-time
	// distribution across all of them.
	if err := heatmap.WriteFleetPNG(&buf, recs, heatmap.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	img, _ := png.Decode(&buf)
	fmt.Println(img.Bounds().Dx() > 960, img.Bounds().Dy() < 640)
	// Output: true true
}
