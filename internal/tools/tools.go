//go:build tools

// Package tools pins the versions of the linters and benchmark tools that
// .ci/run and BENCHMARKS.md use. It is a module of its own so that none of
// them enters the library's dependencies.
package tools

import (
	_ "golang.org/x/perf/cmd/benchstat"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
