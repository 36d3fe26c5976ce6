//go:build linux

package workload_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/corescope/corescope/workload"
)

// A Command runs any program as a model: here a shell that prints a result.
// Its CPU time comes from wait4, and a failure is an *ExitError carrying
// the exit status and the tail of stderr.
func ExampleCommand() {
	rep, err := workload.Command{Path: "sh", Args: []string{"-c", "echo 42"}}.Run(context.Background())
	var xe *workload.ExitError
	switch {
	case errors.As(err, &xe):
		fmt.Println("failed with status", xe.Status, "saying", xe.Stderr)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Printf("%s printed %s", rep.Model, rep.Stdout)
	}
	// Output: sh printed 42
}
