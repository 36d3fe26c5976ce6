"""The seed's non-threaded run, for corescope: the loop in one thread.

Runs unchanged on CPython 2.7 and 3.x:

    python non_threaded.py [--n N] [--units U] [--report]

prints sum(range(N)) (as the seed did), or with --report one line
"worker 0 RESULT UNITS SECONDS" that corescope's workload.Python parses.
"""
from __future__ import print_function

import argparse
import time

try:
    xrange  # Python 2: the seed's loop must not build a list
except NameError:
    xrange = range


def count(n):
    result = 0
    for v in xrange(n):
        result += v
    return result


def work(n, units):
    start = time.time()
    for _ in xrange(units):
        result = count(n)
    return result, time.time() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2 ** 28)
    parser.add_argument("--units", type=int, default=1)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    result, seconds = work(args.n, args.units)
    if args.report:
        print("worker 0 %d %d %.9f" % (result, args.units, seconds))
    else:
        print(result)


if __name__ == "__main__":
    main()
