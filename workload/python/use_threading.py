"""The seed's threading run, for corescope: N threads, each doing the loop.

Runs unchanged on CPython 2.7 and 3.x:

    python use_threading.py [--num-threads N] [--n N] [--units U] [--report]

prints each thread's sum(range(N)) on its own line (as the seed did), or
with --report one line "worker ID RESULT UNITS SECONDS" per thread that
corescope's workload.Python parses.
"""
from __future__ import print_function

import argparse
import threading
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


def work(n, units, out, i):
    start = time.time()
    for _ in xrange(units):
        result = count(n)
    out[i] = (result, time.time() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--num-threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=2 ** 26)
    parser.add_argument("--units", type=int, default=1)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    out = [None] * args.num_threads
    threads = [threading.Thread(target=work, args=(args.n, args.units, out, i))
               for i in range(args.num_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (result, seconds) in enumerate(out):
        if args.report:
            print("worker %d %d %d %.9f" % (i, result, args.units, seconds))
        else:
            print(result)


if __name__ == "__main__":
    main()
