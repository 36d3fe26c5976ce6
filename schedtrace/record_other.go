//go:build !linux

package schedtrace

// Recording is a trace in progress. Off Linux there is none.
type Recording struct{}

// Start returns ErrUnsupported: scheduler tracing needs Linux.
func (t *Tracer) Start() (*Recording, error) { return nil, ErrUnsupported }

// Stop returns ErrUnsupported.
func (r *Recording) Stop() (*Trace, error) { return nil, ErrUnsupported }
