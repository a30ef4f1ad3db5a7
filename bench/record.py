#!/usr/bin/env python3
"""A rerunnable benchmark record (docs/benchmarks.md): run the bench_* executables into a dated
JSON file that says what ran where, and compare two such files.

  record.py run [--build DIR]... [--bench NAME]... [--filter [NAME=]REGEX]... [--reps N]
                [--threads N] [--out DIR] [--label TEXT]
      Runs each benchmark --reps times (default 5) and writes one file per --build directory,
      <out>/<date>_<commit>_<isa>[_<label>].json (out: bench/results, git-ignored). Each file
      holds Google Benchmark's context (date, host, CPU count and caches) with what bench_main.h
      adds (spikessm version and commit, ISA, CPU model, kernel paths, LibTorch, threads) and
      every repetition. Given several --build directories (e.g. a native and a portable
      build), the runs are interleaved (A B A B ...) so both see the same machine load.
  record.py compare OLD.json NEW.json
      Per benchmark: the median time of each, NEW/OLD, the spread of the repetitions
      ((max - min) / median), and a verdict: "faster"/"slower" only when the two sets of
      repetitions do not overlap, else "~" (within the noise of repeated runs).

Python 3 standard library only. Exit code 2 with one line on bad input.
"""
import argparse
import datetime
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BENCHES = ["bench_lif", "bench_neurons", "bench_sparse_mix", "bench_train_step"]
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def fail(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def bench_dir(build):
    """The directory holding the bench_* executables of a build (or that directory itself)."""
    for d in (os.path.join(build, "bench"), build):
        if any(n.startswith("bench_") and os.access(os.path.join(d, n), os.X_OK)
               for n in (os.listdir(d) if os.path.isdir(d) else [])):
            return d
    fail(f"--build {build}: no bench_* executables in it or in its bench/ folder")


def filters_for(specs, name):
    """--filter values: "NAME=REGEX" applies to one executable, a bare REGEX to all."""
    out = None
    for spec in specs:
        head, sep, rest = spec.partition("=")
        if sep and head.startswith("bench_"):
            if head == name:
                out = rest
        elif out is None:
            out = spec
    return out


def run_once(exe, regex, threads, rep):
    """One run of one executable (one repetition): its JSON output, entries tagged with rep."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        cmd = [exe, f"--benchmark_out={out}", "--benchmark_out_format=json"]
        if regex:
            cmd.append(f"--benchmark_filter={regex}")
        if threads:
            cmd.append(f"--threads={threads}")
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0 or not os.path.exists(out):
            fail(f"{' '.join(cmd)} exited with {r.returncode}: {r.stderr.strip()[-300:]}")
        with open(out, encoding="utf-8") as f:
            data = json.load(f)
    for b in data.get("benchmarks", []):
        b["repetition"] = rep
    return data


def cmd_run(args):
    builds = args.build or [os.path.join(HERE, "..", "build")]
    dirs = [bench_dir(b) for b in builds]
    benches = args.bench or DEFAULT_BENCHES
    for d in dirs:
        for name in benches:
            if not os.access(os.path.join(d, name), os.X_OK):
                fail(f"--bench {name}: no executable {os.path.join(d, name)}")
    if args.reps < 1:
        fail(f"--reps {args.reps}: expected at least 1")
    records = [{"recorded_by": "bench/record.py", "command": sys.argv, "bench_dir": os.path.abspath(d),
                "context": None, "benchmarks": []} for d in dirs]
    started = datetime.datetime.now()
    for rep in range(args.reps):
        for name in benches:
            for rec, d in zip(records, dirs):
                print(f"[{rep + 1}/{args.reps}] {d}/{name}", file=sys.stderr, flush=True)
                data = run_once(os.path.join(d, name), filters_for(args.filter, name), args.threads, rep)
                ctx = dict(data.get("context", {}))
                rec["context"] = rec["context"] or ctx
                rec.setdefault("contexts", {}).setdefault(name, ctx)
                for b in data.get("benchmarks", []):
                    b["name"] = f"{name}:{b['name']}"
                    rec["benchmarks"].append(b)
    os.makedirs(args.out, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    for rec in records:
        ctx = rec["context"] or {}
        commit = ctx.get("spikessm_git_commit", "unknown")
        isa = ctx.get("spikessm_isa", "unknown").split(" ")[0]
        label = f"_{re.sub(r'[^A-Za-z0-9.-]+', '-', args.label)}" if args.label else ""
        path = os.path.join(args.out, f"{stamp}_{commit}_{isa}{label}.json")
        n = 1
        while os.path.exists(path):  # two builds of one commit and ISA in one run
            n += 1
            path = os.path.join(args.out, f"{stamp}_{commit}_{isa}{label}_{n}.json")
        tmp = path + ".part"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(rec, f, indent=1)
        os.replace(tmp, path)
        print(path)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot read a record ({e})")
    if not isinstance(rec, dict) or "benchmarks" not in rec:
        fail(f"{path}: not a record of bench/record.py (no 'benchmarks')")
    times = {}
    for b in rec["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration" or "real_time" not in b:
            continue
        times.setdefault(b["name"], []).append(b["real_time"] * UNIT_NS.get(b.get("time_unit", "ns"), 1.0))
    return rec.get("context") or {}, times


def fmt_ns(ns):
    for unit, f in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= f:
            return f"{ns / f:.3g} {unit}"
    return f"{ns:.3g} ns"


def spread(ts):
    return (max(ts) - min(ts)) / statistics.median(ts)


def cmd_compare(args):
    ctx_a, a = load(args.old)
    ctx_b, b = load(args.new)
    for key in ("spikessm_git_commit", "spikessm_isa", "spikessm_cpu", "spikessm_threads",
                "spikessm_libtorch", "host_name", "num_cpus"):
        va, vb = ctx_a.get(key, "?"), ctx_b.get(key, "?")
        print(f"{key:22} {va}" + ("" if va == vb else f"  ->  {vb}"))
    names = [n for n in a if n in b]
    if not names:
        fail(f"{args.old} and {args.new} have no benchmark in common")
    width = max(len(n) for n in names)
    print(f"\n{'benchmark':{width}}  {'old':>9}  {'new':>9}  new/old  spread old/new  verdict")
    logs = []
    for n in names:
        ta, tb = a[n], b[n]
        ma, mb = statistics.median(ta), statistics.median(tb)
        ratio = mb / ma
        logs.append(math.log(ratio))
        verdict = "slower" if min(tb) > max(ta) else "faster" if max(tb) < min(ta) else "~"
        if len(ta) < 2 or len(tb) < 2:
            verdict += " (1 run: no spread)"
        print(f"{n:{width}}  {fmt_ns(ma):>9}  {fmt_ns(mb):>9}  {ratio:7.3f}  "
              f"{100 * spread(ta):5.1f}%/{100 * spread(tb):5.1f}%  {verdict}")
    print(f"\ngeometric mean new/old over {len(names)} benchmarks: {math.exp(statistics.mean(logs)):.3f}")
    only = sorted(set(a) ^ set(b))
    if only:
        print(f"in one file only: {', '.join(only)}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run benchmarks into a dated JSON record")
    r.add_argument("--build", action="append", help="build directory (repeat to interleave builds)")
    r.add_argument("--bench", action="append", help=f"executable (default: {' '.join(DEFAULT_BENCHES)})")
    r.add_argument("--filter", action="append", default=[], help="[bench_x=]REGEX (--benchmark_filter)")
    r.add_argument("--reps", type=int, default=5, help="repetitions of every benchmark (default 5)")
    r.add_argument("--threads", type=int, default=0, help="intra-op threads (default: every core)")
    r.add_argument("--out", default=os.path.join(HERE, "results"), help="folder of the records")
    r.add_argument("--label", default="", help="appended to the file name")
    c = sub.add_parser("compare", help="compare two records, benchmark by benchmark")
    c.add_argument("old")
    c.add_argument("new")
    args = p.parse_args()
    (cmd_run if args.cmd == "run" else cmd_compare)(args)


if __name__ == "__main__":
    main()
