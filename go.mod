module github.com/corescope/corescope

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/lucasb-eyer/go-colorful v1.4.1
	github.com/prometheus/procfs v0.23.0
	golang.org/x/image v0.48.0
	golang.org/x/sys v0.50.0
)

require (
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
