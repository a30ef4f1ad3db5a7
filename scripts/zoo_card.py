#!/usr/bin/env python3
"""Fill in a model card's expected numbers by running its evaluations.

Usage: scripts/zoo_card.py SPIKESSM_CLI models/<name>

Reads models/<name>/card.json (written by hand: name, checkpoint, evaluations with their
`args` and the statistics to check as `expect` keys), runs `spikessm eval --json` for each
evaluation exactly as tests/model_zoo_test.py will, and writes the measured values (and the
parameter count) back into the card. For a card with "generate", the sample is regenerated too.
Placeholders {shared_data} and {fashion_mnist} resolve as in the test. models/README.md tells
the whole procedure. Python standard library only.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from model_zoo_test import data_roots, expand, run  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    cli, folder = sys.argv[1:]
    path = os.path.join(folder, "card.json")
    with open(path) as f:
        card = json.load(f)
    roots = data_roots(os.path.dirname(os.path.abspath(folder)))
    ckpt = os.path.join(folder, card["checkpoint"])
    threads = str(card.get("threads", 1))
    for ev in card["evaluations"]:
        out = os.path.join(folder, ".eval.json")
        cmd = [cli, "eval", "--checkpoint", ckpt, "--threads", threads, "--json", out]
        run(cmd + expand(ev["args"], roots))
        with open(out) as f:
            stats = json.load(f)
        os.remove(out)
        ev["expect"] = {k: stats[k] for k in ev["expect"]}
        print(f"{ev['name']}: {ev['expect']}")
    if "generate" in card:
        g = card["generate"]
        g["output"] = run([cli, "generate", "--checkpoint", ckpt, "--threads", "1"] + g["args"])
        print(f"generate: {g['output']!r}")
    code = ("import sys, spikessm\nm = spikessm.load(sys.argv[1])\n"
            "print(sum(p.numel() for p in m.parameters()))\n")
    if os.environ.get("PYTHONPATH"):
        card["parameters"] = int(run([sys.executable, "-c", code, ckpt]))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, subprocess.SubprocessError, OSError, KeyError) as e:
        print(f"zoo_card: {e}", file=sys.stderr)
        sys.exit(2)
