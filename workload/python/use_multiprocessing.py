"""The seed's multiprocessing run, for corescope: a pool of N processes.

Runs unchanged on CPython 2.7 and 3.x:

    python use_multiprocessing.py [--num-procs N] [--n N] [--units U] [--report]

prints the list of the workers' sum(range(N)) (as the seed's pool.map did),
or with --report one line "worker ID RESULT UNITS SECONDS" per process that
corescope's workload.Python parses. The pool forks (the only way on 2.7;
asked for by name on 3.x, whose default may differ), so the program can
come from standard input.
"""
from __future__ import print_function

import argparse
import multiprocessing
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


def work(job):
    n, units = job
    start = time.time()
    for _ in xrange(units):
        result = count(n)
    return result, time.time() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--num-procs", type=int, default=2)
    parser.add_argument("--n", type=int, default=2 ** 28)
    parser.add_argument("--units", type=int, default=1)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    ctx = multiprocessing
    if hasattr(multiprocessing, "get_context"):
        ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(args.num_procs)
    out = pool.map(work, [(args.n, args.units)] * args.num_procs, chunksize=1)
    pool.close()
    pool.join()
    if args.report:
        for i, (result, seconds) in enumerate(out):
            print("worker %d %d %d %.9f" % (i, result, args.units, seconds))
    else:
        print("[%s]" % ", ".join(str(result) for result, _ in out))


if __name__ == "__main__":
    main()
