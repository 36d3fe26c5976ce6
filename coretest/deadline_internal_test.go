package coretest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// deadlineTB is a fakeTB whose test ends at deadline.
type deadlineTB struct {
	fakeTB
	deadline time.Time
}

func (d *deadlineTB) Context() context.Context    { return context.Background() }
func (d *deadlineTB) Deadline() (time.Time, bool) { return d.deadline, true }

// TestRecordCancelsNearTheDeadline: a function that would run past the
// test's deadline has its context cancelled a grace period before it (at
// least a second), and the test fails saying so.
func TestRecordCancelsNearTheDeadline(t *testing.T) {
	fake := &deadlineTB{deadline: time.Now().Add(1500 * time.Millisecond)}
	var ended time.Time
	got := outcome(&fake.fakeTB, func() {
		Record(fake, func(ctx context.Context) {
			select {
			case <-ctx.Done():
			case <-time.After(time.Minute):
			}
			ended = time.Now()
		})
	})
	if !strings.HasPrefix(got, "fatal: coretest: the recorded function was cancelled 1s before the test's deadline") {
		t.Errorf("outcome %s, want a fatal error about the deadline", got)
	}
	if early := fake.deadline.Sub(ended); early < 900*time.Millisecond || early > 1100*time.Millisecond {
		t.Errorf("the function ended %v before the deadline, want about 1s", early)
	}
}

func TestRecordRejectsNil(t *testing.T) {
	fake := &deadlineTB{deadline: time.Now().Add(time.Hour)}
	for _, tt := range []struct {
		name string
		call func()
		want string
	}{
		{"nil function", func() { Record(fake, nil) }, "fatal: coretest: Record with a nil function"},
		{"nil model", func() { RecordModel(fake, nil) }, "fatal: coretest: RecordModel with a nil model"},
	} {
		fake.fatal = nil
		if got := outcome(&fake.fakeTB, tt.call); got != tt.want {
			t.Errorf("%s: outcome %s, want %s", tt.name, got, tt.want)
		}
	}
}
