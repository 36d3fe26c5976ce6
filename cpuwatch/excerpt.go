package cpuwatch

import (
	"strconv"
)

// excerptMax is the longest input an error quotes whole. Longer input is
// quoted in part: a 50 MB line from a broken or hostile stat file must not
// make a 50 MB error.
const excerptMax = 72

// excerpt quotes b for an error message, as %q does, when it is short;
// otherwise its start and the stretch around byte at (where the problem
// is), with its length, such as
//
//	"cpu0 1 2 3 11111111111111"…"11111111111111111111x"… (52428812 bytes)
//
// The result is at most about 3×excerptMax bytes for any b.
func excerpt(b []byte, at int) string {
	if len(b) <= excerptMax {
		return strconv.Quote(string(b))
	}
	const half = excerptMax / 3
	n := " (" + strconv.Itoa(len(b)) + " bytes)"
	at = min(max(at, 0), len(b))
	if at < 2*half {
		return strconv.Quote(string(b[:2*half])) + "…" + n
	}
	return strconv.Quote(string(b[:half])) + "…" + strconv.Quote(string(b[at-half:min(at+half, len(b))])) + "…" + n
}

// excerptString is excerpt for a string, from its start.
func excerptString(s string) string { return excerpt([]byte(s), 0) }
