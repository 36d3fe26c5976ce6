package heatmap

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// setTermEnv sets the variables colour detection reads to env's values,
// "" (as good as unset) for those env lacks, until the test ends.
func setTermEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range []string{"NO_COLOR", "COLORTERM", "TERM"} {
		t.Setenv(k, env[k])
	}
}

func TestColorSupportDetection(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want ColorSupport
	}{
		{"NO_COLOR wins", map[string]string{"NO_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"}, NoColor},
		{"COLORTERM truecolor", map[string]string{"COLORTERM": "truecolor", "TERM": "xterm"}, TrueColor},
		{"COLORTERM 24bit", map[string]string{"COLORTERM": "24bit"}, TrueColor},
		{"TERM 256", map[string]string{"TERM": "xterm-256color"}, Color256},
		{"TERM direct", map[string]string{"TERM": "xterm-direct"}, TrueColor},
		{"TERM tmux", map[string]string{"TERM": "tmux"}, Color256},
		{"dumb", map[string]string{"TERM": "dumb"}, NoColor},
		{"nothing", nil, NoColor},
		{"linux console", map[string]string{"TERM": "linux"}, NoColor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setTermEnv(t, tc.env)
			if got := (TerminalOptions{}).colorSupport(); got != tc.want {
				t.Errorf("colorSupport() = %d, want %d", got, tc.want)
			}
		})
	}
	setTermEnv(t, map[string]string{"NO_COLOR": "1", "COLORTERM": "1", "TERM": "1"})
	if got := (TerminalOptions{Color: Color256}).colorSupport(); got != Color256 {
		t.Errorf("explicit Color256 = %d, want it kept", got)
	}
}

func TestTerminalTrueColor(t *testing.T) {
	rec := makeRec([]int{0, 1}, 3, func(i, id int) (float64, float64) { return float64(1 - id), 0 })
	var buf bytes.Buffer
	if err := WriteTerminal(&buf, rec, TerminalOptions{Color: TrueColor}); err != nil {
		t.Fatal(err)
	}
	top, bottom := Viridis().At(1), Viridis().At(0)
	// cpu0 (100 %) is the upper row, cpu1 (0 %) the lower: foreground top
	// colour on background bottom colour.
	want := fmt.Sprintf("cpu0/1 \x1b[38;2;%d;%d;%dm\x1b[48;2;%d;%d;%dm▀▀▀\x1b[0m", top.R, top.G, top.B, bottom.R, bottom.G, bottom.B)
	if !strings.Contains(buf.String(), want) {
		t.Errorf("output %q lacks the row %q", buf.String(), want)
	}
}

func TestTerminal256(t *testing.T) {
	rec := makeRec([]int{0}, 2, func(i, id int) (float64, float64) { return 1, 0 })
	var buf bytes.Buffer
	if err := WriteTerminal(&buf, rec, TerminalOptions{Color: Color256}); err != nil {
		t.Fatal(err)
	}
	// Viridis' top, #fde725, is nearest cube colour (255, 215, 0): index
	// 16 + 36·5 + 6·4 + 0 = 220.
	if want := "\x1b[38;5;220m\x1b[49m▀▀"; !strings.Contains(buf.String(), want) {
		t.Errorf("output %q lacks %q", buf.String(), want)
	}
	if strings.Contains(buf.String(), "38;2;") {
		t.Errorf("256-colour output uses truecolor escapes")
	}
}

func TestTerminalPlainHasNoEscapes(t *testing.T) {
	rec := makeRec([]int{0, 1, 2}, 5, func(i, id int) (float64, float64) { return float64(id) / 2, 0 })
	var buf bytes.Buffer
	setTermEnv(t, map[string]string{"NO_COLOR": "1", "COLORTERM": "truecolor"})
	err := WriteTerminal(&buf, rec, TerminalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\x1b") {
		t.Errorf("NO_COLOR output has escapes: %q", out)
	}
	for _, want := range []string{"cpu0      \n", "cpu1 ▒▒▒▒▒\n", "cpu2 █████\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}

func TestLive(t *testing.T) {
	rec := makeRec([]int{0, 1}, 5, func(i, id int) (float64, float64) { return 0.5, 0 })
	for _, tc := range []struct {
		term    string
		inPlace bool
	}{{"xterm-256color", true}, {"dumb", false}} {
		t.Run(tc.term, func(t *testing.T) {
			var buf bytes.Buffer
			setTermEnv(t, map[string]string{"TERM": tc.term})
			l := NewLive(&buf, TerminalOptions{Width: 3})
			var frames []string
			for _, s := range rec.All() {
				buf.Reset()
				if err := l.Add(s); err != nil {
					t.Fatal(err)
				}
				frames = append(frames, buf.String())
			}
			if strings.HasPrefix(frames[0], "\x1b[") {
				t.Errorf("first frame starts with a cursor move: %q", frames[0])
			}
			lines := strings.Count(frames[0], "\n")
			wantPrefix := fmt.Sprintf("\x1b[%dF\x1b[J", lines)
			if got := strings.HasPrefix(frames[1], wantPrefix); got != tc.inPlace {
				t.Errorf("second frame starts with %q: %v, want %v", wantPrefix, got, tc.inPlace)
			}
			// Width 3: the last frame shows 3 columns, not 5.
			last := frames[len(frames)-1]
			if tc.inPlace {
				if n := strings.Count(last, "▀"); n != 3+21 {
					t.Errorf("last frame has %d half blocks, want 3 cells + the 21-cell key", n)
				}
			} else if !strings.Contains(last, "cpu0 ▒▒▒\n") {
				t.Errorf("last frame %q lacks 3 plain cells of cpu0", last)
			}
		})
	}
}

func TestLiveKeepsClones(t *testing.T) {
	var buf bytes.Buffer
	l := NewLive(&buf, TerminalOptions{Color: NoColor})
	cores := []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{User: 1}}}
	s := cpuwatch.Sample{Time: t0.Add(time.Second), Elapsed: time.Second, Cores: cores}
	if err := l.Add(s); err != nil {
		t.Fatal(err)
	}
	cores[0].Usage = cpuwatch.Usage{Idle: 1} // the watcher reuses its slice
	s.Time = s.Time.Add(time.Second)
	if err := l.Add(s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "cpu0 █ \n") {
		t.Errorf("output %q: want the first sample still full, the second empty", buf.String())
	}
}

func TestLiveDropsBadSample(t *testing.T) {
	var buf bytes.Buffer
	l := NewLive(&buf, TerminalOptions{Color: NoColor})
	cores := []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{User: 1}}}
	steps := []struct {
		at      time.Duration
		wantErr bool
	}{{2 * time.Second, false}, {time.Second, true}, {3 * time.Second, false}}
	for _, st := range steps {
		err := l.Add(cpuwatch.Sample{Time: t0.Add(st.at), Elapsed: time.Second, Cores: cores})
		if (err != nil) != st.wantErr {
			t.Errorf("Add at %v: error %v, want error %v", st.at, err, st.wantErr)
		}
	}
	if got := len(l.samples); got != 2 {
		t.Errorf("Live keeps %d samples, want 2 (the backwards one dropped)", got)
	}
}

func TestTerminalDistributionLabels(t *testing.T) {
	ids := make([]int, 100)
	for i := range ids {
		ids[i] = i
	}
	rec := makeRec(ids, 4, func(i, id int) (float64, float64) { return 1, 0 })
	var buf bytes.Buffer
	if err := WriteTerminal(&buf, rec, TerminalOptions{Color: TrueColor}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"90–100 % ", " 0–10 % ", "CPUs: 1 "} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestTerminalDistributionPlain(t *testing.T) {
	ids := make([]int, 100)
	for i := range ids {
		ids[i] = i
	}
	// One CPU fully busy, 99 idle: the top bucket holds the fewest CPUs
	// and must still show; empty buckets are blank.
	rec := makeRec(ids, 3, func(i, id int) (float64, float64) {
		if id == 0 {
			return 1, 0
		}
		return 0, 0
	})
	var buf bytes.Buffer
	if err := WriteTerminal(&buf, rec, TerminalOptions{Color: NoColor}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"95–100 % ░░░\n", "90–95 %    \n", "0–5 % ███\n", "CPUs: 1 ░▒▓█ 99"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}
