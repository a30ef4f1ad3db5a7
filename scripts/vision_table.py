#!/usr/bin/env python3
"""Prints the markdown table of finished image-classification runs from each run directory's
config.toml, metrics.jsonl (the final test evaluation) and spike_stats.json:
    scripts/vision_table.py runs/vision/fmnist_ssa runs/vision/fmnist_lrf_ssa ..."""
import json
import sys
import tomllib

print("| run | attention | steps | train time | test accuracy | mean spiking rate | energy / image (vision convention) | same layers as an ANN |")
print("|---|---|---|---|---|---|---|---|")
for run in sys.argv[1:]:
    try:
        cfg = tomllib.load(open(f"{run}/config.toml", "rb"))
        evals = [j for j in map(json.loads, open(f"{run}/metrics.jsonl")) if j.get("kind") == "eval"]
        stats = json.load(open(f"{run}/spike_stats.json"))
    except (OSError, ValueError) as e:
        sys.exit(f"vision_table: {run}: {e}")
    if not evals:
        sys.exit(f"vision_table: {run}/metrics.jsonl: no eval line (the run has not finished)")
    last = evals[-1]
    print(f'| {run} | {cfg["model"].get("attention", "-")} | {last["step"]} | {last["train_seconds"] / 60:.1f} min '
          f'| {100 * last["accuracy"]:.2f} % | {stats["mean_spiking_rate"]:.4f} '
          f'| {stats["energy_uj_per_sample"]:.2f} uJ | {stats["ann_energy_uj_per_sample"]:.1f} uJ |')
