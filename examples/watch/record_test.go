package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/cpuwatch"
)

// fixture1024 is a synthetic proc tree of 1024 CPUs; its counters stand
// still, so every sample of it is idle.
const fixture1024 = "../../cpuwatch/testdata/cpu1024/proc"

// buildWatch builds the command into a temporary folder, as a user runs it.
func buildWatch(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "watch")
	// go test puts its own go command first on PATH.
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startRecord starts the command recording the fixture into file at 10 ms.
func startRecord(t *testing.T, bin, file string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, "--procfs", fixture1024, "--interval", "10ms", "--record", file)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &stderr
}

// samplesIn returns how many samples the file holds now, failing the test
// if it holds anything but whole samples of the fixture and perhaps a
// truncated tail.
func samplesIn(t *testing.T, file string) (*cpuwatch.Recording, int) {
	t.Helper()
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return nil, 0 // not created yet
	}
	rec, err := cpuwatch.ReadRecordingFile(file)
	if rec == nil {
		var fe *cpuwatch.FormatError
		if !errors.As(err, &fe) || !errors.Is(err, cpuwatch.ErrTruncated) || fe.Offset != 0 {
			t.Fatalf("no recording in %s: %v", file, err)
		}
		return nil, 0
	}
	if err != nil && !errors.Is(err, cpuwatch.ErrTruncated) {
		t.Fatalf("%s: %v, want at worst a truncated tail", file, err)
	}
	for i, s := range rec.All() {
		if len(s.Cores) != 1024 {
			t.Fatalf("sample %d has %d cores, want 1024", i, len(s.Cores))
		}
		for _, c := range s.Cores {
			if c.Usage != (cpuwatch.Usage{Idle: 1}) {
				t.Fatalf("sample %d core %d = %+v, want idle", i, c.ID, c.Usage)
			}
		}
		// Nothing is missing between two samples in the file.
		if i > 0 {
			if gap := s.Start().Sub(rec.Sample(i - 1).Time); gap > time.Millisecond || gap < -time.Millisecond {
				t.Fatalf("sample %d starts %v after sample %d ends", i, gap, i-1)
			}
		}
	}
	return rec, rec.Len()
}

// TestRecordCrash kills a recording command at random moments, 20 times,
// and reads what it left: every sample the file held just before the kill,
// whole, and at worst a truncated last block.
func TestRecordCrash(t *testing.T) {
	bin := buildWatch(t)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	dir := t.TempDir()
	for i := range 20 {
		file := filepath.Join(dir, fmt.Sprintf("crash-%d.csrec", i))
		cmd, stderr := startRecord(t, bin, file)
		// Wait for the first sample, then a random while more.
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, n := samplesIn(t, file); n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no sample written in 30 s:\n%s", stderr)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(r.IntN(150)) * time.Millisecond)
		_, before := samplesIn(t, file)
		time.Sleep(time.Duration(r.IntN(25)) * time.Millisecond) // more than one interval, sometimes
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		_, after := samplesIn(t, file)
		if after < before {
			t.Fatalf("run %d: the file held %d samples before the kill and %d after", i, before, after)
		}
		t.Logf("run %d: %d samples before the kill, %d after", i, before, after)
	}
}

// TestRecordReplay records the fixture until SIGINT, then replays the
// file into every format, and JSON back into the binary format.
func TestRecordReplay(t *testing.T) {
	bin := buildWatch(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "rec.csrec")
	cmd, stderr := startRecord(t, bin, file)
	// Interrupt once it is recording: a few samples are in the file.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, n := samplesIn(t, file); n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no samples written in 60 s:\n%s", stderr)
		}
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("watch --record: %v\n%s", err, stderr)
	}
	want, err := cpuwatch.ReadRecordingFile(file)
	if err != nil {
		t.Fatalf("after a clean stop: %v", err)
	}
	if want.Len() == 0 || want.RunStart.IsZero() || want.RunEnd.IsZero() {
		t.Fatalf("recording has %d samples, run %v to %v", want.Len(), want.RunStart, want.RunEnd)
	}
	replay := func(in, out string) string {
		t.Helper()
		b, err := exec.Command(bin, "--replay", in, "-o", out).CombinedOutput()
		if err != nil {
			t.Fatalf("--replay %s -o %s: %v\n%s", in, out, err, b)
		}
		return string(b)
	}
	for _, ext := range []string{".png", ".svg", ".html", ".json", ".csv", ".csrec"} {
		out := filepath.Join(dir, "out"+ext)
		replay(file, out)
		b, err := os.ReadFile(out)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v, %d bytes", out, err, len(b))
		}
		switch ext {
		case ".png":
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds().Dy() < 100 {
				t.Errorf("out.png: %v", err)
			}
		case ".csv":
			// A header row, then one "all" row and 1024 core rows a sample.
			if n := strings.Count(string(b), "\n"); n != 1+want.Len()*1025 {
				t.Errorf("out.csv has %d rows, want %d", n, 1+want.Len()*1025)
			}
		case ".svg", ".html":
			if !bytes.Contains(b, []byte("<svg")) {
				t.Errorf("%s holds no SVG", out)
			}
		}
	}
	// JSON converts back to the binary form, unchanged.
	back := filepath.Join(dir, "back.csrec")
	replay(filepath.Join(dir, "out.json"), back)
	got, err := cpuwatch.ReadRecordingFile(back)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, viewRecording); d != "" {
		t.Errorf("binary → JSON → binary changed the recording (-want +got):\n%s", d)
	}
}

// viewRecording makes cmp compare Recordings by their facts and samples.
var viewRecording = cmp.Transformer("recording", func(r *cpuwatch.Recording) any {
	if r == nil {
		return nil
	}
	var samples []cpuwatch.Sample
	for _, s := range r.All() {
		samples = append(samples, s.Clone())
	}
	return struct {
		Facts            cpuwatch.Header
		RunStart, RunEnd time.Time
		Samples          []cpuwatch.Sample
	}{r.Header(), r.RunStart, r.RunEnd, samples}
})

// TestReplayDamagedTail replays a file cut inside its last sample: the
// complete samples are drawn, a warning names the offset, the exit is 0.
func TestReplayDamagedTail(t *testing.T) {
	bin := buildWatch(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "rec.csrec")
	rec := &cpuwatch.Recording{Interval: time.Second, Start: time.Unix(1e9, 0)}
	for i := range 5 {
		rec.Append(cpuwatch.Sample{Time: time.Unix(1e9+int64(i)+1, 0), Elapsed: time.Second,
			Total: cpuwatch.Usage{User: 0.25, Idle: 0.75}, Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{User: 0.25, Idle: 0.75}}}})
	}
	if err := rec.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b[:len(b)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--replay", file, "-o", filepath.Join(dir, "out.png")).CombinedOutput()
	if err != nil {
		t.Fatalf("--replay of a damaged file: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "warning") || !strings.Contains(string(out), "wrote the samples before byte") {
		t.Errorf("--replay output does not warn of the damage:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.png")); err != nil {
		t.Error(err)
	}
}
