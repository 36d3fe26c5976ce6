//go:build linux

package workload

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestNameThread(t *testing.T) {
	comm := func() string {
		t.Helper()
		b, err := os.ReadFile("/proc/thread-self/comm")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(string(b), "\n")
	}
	for _, tc := range []struct{ name, want string }{
		{"gil-py2/0", "gil-py2/0"},
		{"a-name-longer-than-fifteen-bytes", "a-name-longer-t"},
		{"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A thread of its own, destroyed at the end: the test must
			// not leave a renamed thread behind if it fails.
			done := make(chan struct{})
			go func() {
				defer close(done)
				runtime.LockOSThread()
				old := comm()
				restore, err := nameThread(tc.name)
				if err != nil {
					t.Error(err)
					return
				}
				if got := comm(); got != tc.want {
					t.Errorf("comm after nameThread(%q) = %q, want %q", tc.name, got, tc.want)
				}
				if err := restore(); err != nil {
					t.Error(err)
				}
				if got := comm(); got != old {
					t.Errorf("comm after restore = %q, want %q", got, old)
				}
			}()
			<-done
		})
	}
}
