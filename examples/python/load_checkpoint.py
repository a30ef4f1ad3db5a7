#!/usr/bin/env python3
"""Load a checkpoint written by `spikessm train` and run it from Python: its test accuracy and
spiking rates equal what `spikessm eval` prints.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/load_checkpoint.py runs/quickstart/checkpoint.pt
"""
import sys

import torch

import spikessm


# Bit-for-bit equal to the CLI: its thread count (every core) and one mixing kernel in both
# runs ("auto" picks one by a timing taken in each process).
SAME_AS_CLI = {"model.mix_kernel": "dense"}


def main(path):
    spikessm.set_threads()
    model = spikessm.load(path, SAME_AS_CLI)  # a spikessm.nn.Classifier in eval mode
    print(f"{path}: step {model.step_count}, "
          f"{sum(p.numel() for p in model.parameters())} parameters")
    x, y, _ = spikessm.load_test_split(model.config_toml)  # the split eval reads
    model.collect_stats(True)
    with torch.no_grad():
        logits = torch.cat([model(x[i:i + 50]) for i in range(0, len(x), 50)])
    report = model.ops_report(x.shape[1])
    accuracy = (logits.argmax(1) == y).double().mean().item()
    print(f"python: test accuracy {accuracy:.4f} on {len(y)} samples, "
          f"mean spiking rate {report['mean_spiking_rate']:.4f}")
    for layer in report["layers"]:
        if "firing_rate" in layer:
            print(f"  {layer['name']:<28} rate {layer['firing_rate']:.4f}")
    _, cli = spikessm.evaluate(path, SAME_AS_CLI)  # the library call behind `spikessm eval`
    print(f"spikessm eval: test accuracy {cli['accuracy']:.4f}")
    return 0 if cli["accuracy"] == accuracy else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    raise SystemExit(main(sys.argv[1]))
