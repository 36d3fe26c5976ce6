package experiment

import "errors"

// Errors a caller can branch on. Each is wrapped with the details, so test
// for them with errors.Is.
var (
	// ErrNoRuns is returned by Results.WriteTable and Results.WriteReport
	// when the results hold no run.
	ErrNoRuns = errors.New("experiment: no runs")
	// ErrUnknownWorkload is returned for a Workload that is not in the
	// table of workloads.
	ErrUnknownWorkload = errors.New("experiment: unknown workload")
	// ErrInvalidSpec is returned for a Spec that cannot run, such as one
	// with negative workers; the error names the field.
	ErrInvalidSpec = errors.New("experiment: invalid spec")
)
