// Package benchmarks compares corescope with its peers, in a module of its
// own so that their dependencies never enter the library's go.mod.
//
//	cd benchmarks && go test -run '^$' -bench . -count 10
package benchmarks
