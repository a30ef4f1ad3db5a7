#!/usr/bin/env python3
"""Prints the markdown table of finished LM runs from their lm_stats.json (written by
`spikessm train` at the end of an LM run, test split):
    scripts/lm_table.py runs/lm/wikitext2_ssm runs/lm/wikitext2_ssm_twin ..."""
import json
import math
import sys

print("| run | model | parameters | steps | train time | test word ppl | test bits/byte | token ppl | mean spiking rate | energy / token, all layers | mixing layers, paper convention (ANN) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for run in sys.argv[1:]:
    try:
        s = json.load(open(f"{run}/lm_stats.json"))
    except (OSError, ValueError) as e:
        sys.exit(f"lm_table: {run}/lm_stats.json: {e}")
    ops = s.get("ops_per_token", {})
    model = s["family"] + ("" if s["spiking"] else " (non-spiking twin)")
    rate = f'{s["mean_spiking_rate"]:.3f}' if s["spiking"] else "-"
    paper = ops.get("energy_uj_per_sample_paper_convention", math.nan)
    paper_ann = ops.get("ann_energy_uj_per_sample_paper_convention", math.nan)
    print(f'| {run} | {model} | {s["parameters"]:,} | {s["step"]} | {s["train_seconds"] / 60:.1f} min '
          f'| {s["word_ppl"]:.1f} | {s["bits_per_byte"]:.3f} | {s["token_ppl"]:.3f} | {rate} '
          f'| {s["energy_uj_per_token"]:.3f} uJ | {paper:.3f} uJ ({paper_ann:.3f} uJ) |')
