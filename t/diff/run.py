#!/usr/bin/python3
"""Differential tests: the core against the references (issue 12).

    run.py DRIVER [--suite sigv4|assert] [--cases DIR] [--keep SUITE#N]

DRIVER is build/diff/wa_diff (t/diff/wa_diff.c).  Each suite generates
DIFF_CASES cases (default 3000) from one seeded PRNG (DIFF_SEED, else a
random seed; printed either way) and replays every regression case of
t/diff/cases/, which records the outcome it must have.  All core inputs
go through one driver process.  One summary line per suite: cases,
agreements, disagreements and the documented-policy differences by
reason.  Exit status 1 on any disagreement, and on a regression case
whose outcome is not the one it records; a new disagreeing case is
written to build/diff/found/, to be committed as t/diff/cases/*.json
(expect "agree" once the core is fixed, "policy:<reason>" once the
suite's compare() documents the reference's rule).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import assert_suite   # noqa: E402
import sigv4_suite    # noqa: E402


SUITES = {m.NAME: m for m in (sigv4_suite, assert_suite)}


def outcome_text(outcome):
    if outcome == "agree":
        return "agree"
    return "%s:%s" % outcome if outcome[0] == "policy" else "disagree"


def write_case(directory, name, seed, label, case, expect):
    fn = os.path.join(directory, "%s-%s-%s.json"
                      % (name, seed, label.split("#")[1]))
    with open(fn, "w") as f:
        json.dump({"suite": name, "case": case, "expect": expect,
                   "why": "seed %s case %s" % (seed, label)},
                  f, indent=1, ensure_ascii=True, sort_keys=True)
        f.write("\n")
    return fn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("driver")
    ap.add_argument("--suite", action="append", choices=sorted(SUITES))
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--cases", default=os.path.join(here, "cases"))
    ap.add_argument("--found", default=os.path.join(
        os.path.dirname(os.path.dirname(here)), "build", "diff", "found"))
    ap.add_argument("--keep", action="append", default=[],
                    help="write generated case SUITE#N (or, with "
                    "\"policy\", the first case of each documented "
                    "reason) to --found as a regression case, with its "
                    "outcome of this run")
    args = ap.parse_args()

    seed = os.environ.get("DIFF_SEED") or str(random.SystemRandom()
                                              .randrange(1 << 32))
    count = int(os.environ.get("DIFF_CASES", "3000"))
    names = args.suite or ["sigv4", "assert"]

    print("test-diff: seed %s (DIFF_SEED=%s DIFF_CASES=%d reruns it)"
          % (seed, seed, count))

    # the cases: generated, then the committed regression cases
    work = []
    for name in names:
        suite = SUITES[name]
        t0 = time.monotonic()
        rng = random.Random("%s:%s" % (seed, name))
        setup = suite.setup(rng) if hasattr(suite, "setup") else None
        for i in range(count):
            work.append((name, suite.generate(rng, i, setup)
                         if setup is not None else suite.generate(rng, i),
                         None, "%s#%d" % (name, i)))
        for fn in sorted(os.listdir(args.cases)):
            if not fn.startswith(name + "-") or not fn.endswith(".json"):
                continue
            with open(os.path.join(args.cases, fn)) as f:
                rc = json.load(f)
            work.append((name, rc["case"], rc["expect"], fn))
        print("test-diff: %s: %d cases generated in %.1f s"
              % (name, count, time.monotonic() - t0))

    t0 = time.monotonic()
    inp = "".join(json.dumps(SUITES[n].core_input(c)) + "\n"
                  for n, c, _, _ in work)
    p = subprocess.run([args.driver], input=inp.encode(),
                       stdout=subprocess.PIPE, check=True)
    outs = p.stdout.decode().splitlines()
    if len(outs) != len(work):
        sys.exit("test-diff: the driver answered %d of %d cases"
                 % (len(outs), len(work)))
    print("test-diff: the core judged %d cases in %.1f s"
          % (len(work), time.monotonic() - t0))

    stats = {n: {"cases": 0, "agree": 0, "disagree": 0, "policy": {},
                 "npolicy": 0, "accepted": 0, "replayed": 0, "time": 0.0}
             for n in names}
    failed = 0
    os.makedirs(args.found, exist_ok=True)

    kept = set()
    for (name, case, expect, label), line in zip(work, outs):
        st = stats[name]
        t1 = time.monotonic()
        outcome = SUITES[name].compare(case, json.loads(line))
        st["time"] += time.monotonic() - t1

        key = outcome_text(outcome)
        if expect is None and (label in args.keep or (
                "policy" in args.keep and key.startswith("policy:")
                and (name, key) not in kept)):
            kept.add((name, key))
            write_case(args.found, name, seed, label, case, key)
        st["cases"] += 1
        if expect is not None:
            st["replayed"] += 1
        if outcome == "agree":
            st["agree"] += 1
            st["accepted"] += json.loads(line).get("ok") is True
        elif outcome[0] == "policy":
            st["npolicy"] += 1
            for r in outcome[1].split("+"):
                st["policy"][r] = st["policy"].get(r, 0) + 1
        else:
            st["disagree"] += 1

        if expect is None and outcome != "agree" and outcome[0] != "policy":
            failed += 1
            # "agree" once the bug is fixed; a documented difference of
            # the reference: "policy:<reason>"
            fn = write_case(args.found, name, seed, label, case, "agree")
            if failed <= 5:
                print("test-diff: DISAGREEMENT %s (kept as %s): %s"
                      % (label, fn, outcome[1]))
        elif expect is not None and outcome_text(outcome) != expect:
            failed += 1
            print("test-diff: REGRESSION %s: expected %s, got %s"
                  % (label, expect, outcome_text(outcome)))
            if outcome != "agree" and outcome[0] == "disagree":
                print(outcome[1])

    for name in names:
        st = stats[name]
        pol = ", ".join("%s %d" % kv for kv in sorted(st["policy"].items()))
        acc = " (%d accepted by both)" % st["accepted"] \
            if name == "assert" else ""
        print("test-diff: %s: %d cases (%d replayed), %d agree%s, "
              "%d disagree, %d documented-policy differences%s "
              "(reference %.1f s)"
              % (name, st["cases"], st["replayed"], st["agree"], acc,
                 st["disagree"], st["npolicy"],
                 " (by reason, a case may have several: %s)" % pol
                 if pol else "", st["time"]))

    if failed:
        print("test-diff: FAILED (%d): rerun with DIFF_SEED=%s DIFF_CASES=%d"
              % (failed, seed, count))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
