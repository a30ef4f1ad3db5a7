#!/usr/bin/env python3
"""Compare spikessm.from_official with the official SpikingSSM code's own outputs.

Each file made by make_official_fixture.py holds an official state dict, an input and the
official logits (float32, and float64 for the LIF neurons) and spikes per layer. This converts
the state dict, runs the spikessm classifier on the same input and reports the largest logit
difference and whether every layer fired exactly as many spikes.

  PYTHONPATH=build/python /usr/bin/python3 tests/python/official_compare.py DIR_OR_FILE...
"""
import json
import pathlib
import sys

import torch

import spikessm


def compare(path, threads=None):
    """{case, max_abs32, max_abs64 (or None), spikes_official, spikes_ours, max_logit}"""
    tensors, meta = spikessm.read_safetensors(path)
    spec = json.loads(meta["official"])
    sd = {k[len("state/"):]: v for k, v in tensors.items() if k.startswith("state/")}
    model = spikessm.from_official(sd, prenorm=spec["prenorm"],
                                   neuron=spec["layer"].get("neuron", "sdn"),
                                   overrides={"model.mix_kernel": "dense"})
    x = tensors["input"]
    B, L, H = x.shape[0], x.shape[1], spec["d_model"]  # sequences through the blocks
    if spec.get("retrieval"):  # official (2B, L): first documents, then second ones
        x = torch.stack([x[:B // 2], x[B // 2:]], 1)  # -> (B/2, 2, L)
    model.collect_stats(True)
    with torch.no_grad():
        logits = model(x)
    # The firing rate of block i is reported on its mixing layer, whose input the spikes are.
    rates = {e["name"]: e["firing_rate"] for e in model.ops_report(L)["layers"]
             if "firing_rate" in e}
    model.collect_stats(False)
    ours = [round(rates[f"block{i}.mix"] * B * L * H) for i in range(spec["n_layers"])]
    out = {"case": meta.get("case", pathlib.Path(path).stem),
           "max_abs32": (logits - tensors["logits"]).abs().max().item(),
           "max_logit": tensors["logits"].abs().max().item(),
           "spikes_official": [int(v) for v in tensors["spikes"].tolist()],
           "spikes_ours": ours, "max_abs64": None}
    if "logits64" in tensors:
        model.double()
        xd = x if x.dtype == torch.int64 else x.double()
        with torch.no_grad():
            out["max_abs64"] = (model(xd) - tensors["logits64"]).abs().max().item()
    return out


def main(argv):
    paths = []
    for a in argv or ["."]:
        p = pathlib.Path(a)
        paths += sorted(p.glob("*.safetensors")) if p.is_dir() else [p]
    if not paths:
        print("official_compare: no .safetensors files given", file=sys.stderr)
        return 2
    spikessm.set_threads()
    for p in paths:
        r = compare(p)
        same = "identical" if r["spikes_ours"] == r["spikes_official"] else "DIFFER"
        f64 = "-" if r["max_abs64"] is None else f"{r['max_abs64']:.2e}"
        print(f"{r['case']:28s} max|dlogit| f32 {r['max_abs32']:.2e} (|logit| <= "
              f"{r['max_logit']:.2f})  f64 {f64}  spikes/layer {r['spikes_official']} "
              f"{same}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
