package heatmap

import (
	"errors"
	"fmt"
)

// Errors a caller can branch on with [errors.Is]. Every error the writers
// return carries the "heatmap: " prefix; these say why there is no picture.
var (
	// ErrBadRecording is wrapped by every error about a recording that
	// cannot be drawn: nil, no samples or cores, time that goes backwards,
	// a usage fraction outside [0, 1], a cpu named twice, and so on. The
	// wrapping error says which sample is at fault.
	ErrBadRecording = errors.New("heatmap: bad recording")

	// ErrNoThreads is wrapped when a thread picture has no thread to show:
	// the recording followed none, or (without ThreadOptions.AllThreads)
	// none used any CPU time. A caller that asked for threads on the off
	// chance can skip the picture.
	ErrNoThreads = errors.New("heatmap: no threads to draw")

	// ErrNoTopology is wrapped when Options.GroupByCore is asked of samples
	// that carry no CPU topology; drawing without GroupByCore works.
	ErrNoTopology = errors.New("heatmap: no CPU topology")

	// ErrBadTrace is wrapped by every error about a scheduler trace that
	// cannot be drawn: nil, no CPUs or duration, a slice on a CPU the
	// trace does not list or ending before it starts.
	ErrBadTrace = errors.New("heatmap: bad trace")
)

// badRecording returns an error wrapping ErrBadRecording that describes
// the fault.
func badRecording(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadRecording}, args...)...)
}

// badTrace returns an error wrapping ErrBadTrace that describes the fault.
func badTrace(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadTrace}, args...)...)
}
