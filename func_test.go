package corescope_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/corescope/corescope"
)

func TestRunNilModel(t *testing.T) {
	if _, err := corescope.Run(t.Context(), nil, nil); err == nil {
		t.Error("Run(nil model) = nil error, want one")
	}
}

func TestFunc(t *testing.T) {
	boom := errors.New("boom")
	rep, err := corescope.Func("f", func(context.Context) error { return boom }).Run(t.Context())
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "corescope: f: ") {
		t.Errorf("Run() error = %v, want corescope: f: wrapping boom", err)
	}
	if rep.Model != "f" {
		t.Errorf("Report.Model = %q, want %q", rep.Model, "f")
	}
	if _, err := corescope.Func("", nil).Run(t.Context()); err == nil {
		t.Error("Func(nil).Run() = nil error, want one")
	}
	if got := corescope.Func("", nil).String(); got != "func" {
		t.Errorf("String() = %q, want %q", got, "func")
	}
}
