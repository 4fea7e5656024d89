#!/usr/bin/env python3
"""Checks that two builds compute the same numbers (a refactor's guard).

Trains every rule for one epoch on 640 Fashion-MNIST images with each build's
ml-train, and runs a small ml-study with each build's ml-study, then compares:
metrics.csv (timing columns aside) and every tensor of model.safetensors, bit
for bit; the study's summary.csv (timing aside) and analysis/*.csv, byte for
byte. Exit 0 when all agree, 1 naming the first difference of each file.

Usage: scripts/same_numbers.py BEFORE_BIN_DIR AFTER_BIN_DIR [--work DIR] [--skip-study]
  e.g. scripts/same_numbers.py /tmp/before/build build
BEFORE_BIN_DIR: the build folder of the earlier commit (git worktree add; cmake).
"""
import argparse
import csv
import io
import json
import os
import shutil
import struct
import subprocess
import sys

RULES = ["bp", "fa", "dfa", "sign-symmetry", "weight-mirror", "kolen-pollack", "dtp", "ddtp", "ldrl", "pc",
         "node-perturbation", "weight-perturbation"]
TIMING_COLUMNS = {"seconds", "samples_per_s"}


def train_runs():
    runs = {r: ["--rule", r] for r in RULES}
    runs["bptt-pcn"] = ["--rule", "bptt", "--arch", "pcn"]
    # the optimizer settings given: their defaults are each rule's own since the rules own their options
    common = ["--lr", "0.01", "--lr-schedule", "constant", "--clip-grad-norm", "0", "--weight-decay", "0",
              "--epochs", "1", "--limit", "640", "--seed", "3", "--device", "cpu", "--no-progress"]
    return {name: args + common for name, args in runs.items()}


def safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        tensors[name] = (info["dtype"], tuple(info["shape"]), data[a:b])
    return tensors


def csv_without(path, drop):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    keep = [i for i, h in enumerate(rows[0]) if h not in drop]
    return [[r[i] for i in keep] for r in rows]


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"row {i}: {x} != {y}"
    return f"{len(a)} rows != {len(b)} rows" if len(a) != len(b) else None


def compare_run(before, after):
    problems = []
    diff = first_difference(csv_without(f"{before}/metrics.csv", TIMING_COLUMNS),
                            csv_without(f"{after}/metrics.csv", TIMING_COLUMNS))
    if diff:
        problems.append(f"metrics.csv {diff}")
    tb, ta = safetensors(f"{before}/model.safetensors"), safetensors(f"{after}/model.safetensors")
    if sorted(tb) != sorted(ta):
        problems.append(f"model.safetensors tensors {sorted(tb)} != {sorted(ta)}")
    for name in sorted(set(tb) & set(ta)):
        if tb[name] != ta[name]:
            problems.append(f"model.safetensors {name} differs")
    return problems


def run(cmd, log, may_fail=False):
    """The exit code; a failure ends the check unless may_fail (a run that diverges on both sides alike)."""
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0 and not may_fail:
        sys.exit(f"same_numbers: {' '.join(cmd)} failed (exit {r.returncode}); see {log}")
    return r.returncode


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--work", default="results/same-numbers")
    p.add_argument("--skip-study", action="store_true")
    a = p.parse_args()
    bins = {"before": os.path.abspath(a.before), "after": os.path.abspath(a.after)}
    for side, d in bins.items():
        if not os.access(f"{d}/ml-train", os.X_OK):
            sys.exit(f"same_numbers: {d}/ml-train: not found ({side} build folder)")
    shutil.rmtree(a.work, ignore_errors=True)
    failed = 0
    for name, args in train_runs().items():
        codes, logs = {}, {}
        for side, d in bins.items():
            out = f"{a.work}/{side}/{name}"
            os.makedirs(out, exist_ok=True)
            codes[side] = run([f"{d}/ml-train"] + args + ["--out", out], f"{out}.log", may_fail=True)
            logs[side] = open(f"{out}.log").read()
        if codes["before"] != 0 or codes["after"] != 0:
            # a run that stops (at lr 0.01 the perturbation rules' loss becomes NaN) must stop alike
            same = codes["before"] == codes["after"] and logs["before"] == logs["after"]
            problems = [] if same else [f"exit {codes['before']} != {codes['after']} or other messages"]
            failed += bool(problems)
            print(f"{name:22s} {'same (both stop: ' + logs['after'].strip() + ')' if same else 'DIFFERENT: ' + problems[0]}",
                  flush=True)
            continue
        problems = compare_run(f"{a.work}/before/{name}", f"{a.work}/after/{name}")
        failed += bool(problems)
        print(f"{name:22s} {'same' if not problems else 'DIFFERENT: ' + '; '.join(problems)}", flush=True)
    if not a.skip_study:
        for side, d in bins.items():
            out = f"{a.work}/{side}/study"
            run([f"{d}/ml-study", "--rules", "bp,fa", "--embeddings", "gabor", "--epochs", "1", "--limit", "2000",
                 "--probe", "200", "--device", "cpu", "--out", out], f"{a.work}/{side}/study.log")
        before, after = f"{a.work}/before/study", f"{a.work}/after/study"
        problems = []
        diff = first_difference(csv_without(f"{before}/summary.csv", TIMING_COLUMNS),
                                csv_without(f"{after}/summary.csv", TIMING_COLUMNS))
        if diff:
            problems.append(f"summary.csv {diff}")
        names = sorted(os.listdir(f"{before}/analysis"))
        if names != sorted(os.listdir(f"{after}/analysis")):
            problems.append("analysis/ holds other files")
        for n in names:
            if n.endswith(".csv") and open(f"{before}/analysis/{n}", "rb").read() != open(f"{after}/analysis/{n}", "rb").read():
                problems.append(f"analysis/{n} differs")
        failed += bool(problems)
        print(f"{'study':22s} {'same' if not problems else 'DIFFERENT: ' + '; '.join(problems)}", flush=True)
    print(f"same_numbers: {'all the same' if not failed else str(failed) + ' differ'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
