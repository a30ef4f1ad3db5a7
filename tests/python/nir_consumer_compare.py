"""Runs a spikessm NIR export (model.nir_block) in a NIR consumer from PyPI and compares it with
spikessm's own run on the same test inputs (`spikessm export --reference DIR`): spike agreement
per block and prediction agreement.

Usage: nir_consumer_compare.py GRAPH.nir REFERENCE_DIR [--consumer snntorch|norse]
                               [--min-spikes 0.999] [--min-predictions 1.0] [--json OUT.json]
Exit 1 when an agreement is below its bound.

Both consumers step NIR's neurons by forward Euler (docs/nir.md):
  snntorch  snntorch.import_nir.import_from_nir (network built by nirtorch.nir_to_torch); its
            importer fixes dt = 1e-4 s, so the graph must be exported with --dt 1e-4
  norse     norse.torch.from_nir(graph, dt=...) (nirtorch's GraphExecutor); any dt, passed on"""
import argparse
import json
import sys

import numpy as np
import nir
import nirtorch
import torch

SNNTORCH_DT = 1e-4  # snntorch/import_nir.py fixes dt = 1e-4 for LIF and CubaLIF

p = argparse.ArgumentParser()
p.add_argument("graph")
p.add_argument("reference")
p.add_argument("--min-spikes", type=float, default=0.999)
p.add_argument("--min-predictions", type=float, default=1.0)
p.add_argument("--json")
p.add_argument("--batch", type=int, default=250)
p.add_argument("--consumer", choices=["snntorch", "norse"], default="snntorch")
args = p.parse_args()

graph = nir.read(args.graph)  # the reference reader, with type checking
meta = graph.metadata
if meta.get("spikessm.format") != "spikessm-nir-standard-1":
    sys.exit(f"{args.graph}: not a model.nir_block export (spikessm.format = {meta.get('spikessm.format')})")
dt = float(meta["dt"])
blocks = sorted(n for n in graph.nodes if n.endswith("_lif"))
captured = {}


def capture(name):
    # snnTorch's Synaptic returns the spikes; Norse's CubaLIF returns (spikes, state).
    def hook(module, inputs, output):
        captured[name] = (output[0] if isinstance(output, tuple) else output).detach()
    return hook


if args.consumer == "snntorch":
    if abs(dt - SNNTORCH_DT) > 1e-12:
        sys.exit(f"{args.graph}: exported with dt = {dt} s; snnTorch steps at {SNNTORCH_DT} s: export with --dt {SNNTORCH_DT}")
    import snntorch
    from snntorch.import_nir import import_from_nir

    net = import_from_nir(graph)
    version = f"snntorch {snntorch.__version__}"
    neurons = {name: getattr(net, name) for name in blocks}  # snn.Synaptic, state kept inside

    def new_sequence():
        for mod in neurons.values():
            mod.reset_mem()  # zero synaptic current and membrane
        return None

    def step(x, state):
        out, _ = net(x)
        return out, None
else:
    import norse
    import norse.torch

    net = norse.torch.from_nir(graph, dt=dt)
    version = f"norse {getattr(norse, '__version__', '1.1.0')}"
    modules = dict(net.named_modules())
    neurons = {name: next(m for k, m in modules.items() if k.split(".")[-1] == name) for name in blocks}

    def new_sequence():
        return None  # the graph executor's state starts at zero

    def step(x, state):
        return net(x, state)

for name, mod in neurons.items():
    mod.register_forward_hook(capture(name))

import nirtorch
ref = args.reference
x = np.load(f"{ref}/inputs.npy")  # (N, L, d) what the graph's input node reads
labels = np.load(f"{ref}/labels.npy")
logits_ref = np.load(f"{ref}/logits.npy")
spikes_ref = [np.load(f"{ref}/spikes_block{i}.npy") for i in range(len(blocks))]
N, L, _ = x.shape

agree = np.zeros(len(blocks), dtype=np.int64)
total = np.zeros(len(blocks), dtype=np.int64)
scores = []
with torch.no_grad():
    for s in range(0, N, args.batch):
        xb = torch.from_numpy(x[s:s + args.batch])
        state = new_sequence()
        out_sum = None
        spk = [[] for _ in blocks]
        for t in range(L):
            out, state = step(xb[:, t], state)
            out_sum = out.double() if out_sum is None else out_sum + out.double()
            for i, name in enumerate(blocks):
                spk[i].append(captured[name].numpy())
        for i in range(len(blocks)):
            got = np.stack(spk[i], axis=1)  # (B, L, H)
            want = spikes_ref[i][s:s + args.batch]
            agree[i] += int((got == want).sum())
            total[i] += want.size
        scores.append((out_sum / L).numpy())
scores = np.concatenate(scores)
pred_consumer = scores.argmax(1)
pred_ref = logits_ref.argmax(1)
spike_agreement = (agree / total).tolist()
result = {
    "consumer": f"{version} (nirtorch {nirtorch.__version__}, torch {torch.__version__})",
    "graph": args.graph,
    "inputs": int(N),
    "steps": int(L),
    "spike_agreement_per_block": dict(zip(blocks, spike_agreement)),
    "spikes_compared_per_block": dict(zip(blocks, total.tolist())),
    "prediction_agreement": float((pred_consumer == pred_ref).mean()),
    "accuracy_consumer": float((pred_consumer == labels).mean()),
    "accuracy_spikessm": float((pred_ref == labels).mean()),
    "largest_score_difference": float(np.abs(scores - logits_ref).max()),
}
print(json.dumps(result, indent=2))
if args.json:
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
bad = [f"{b}: spike agreement {a:.6f} < {args.min_spikes}" for b, a in zip(blocks, spike_agreement) if a < args.min_spikes]
if result["prediction_agreement"] < args.min_predictions:
    bad.append(f"prediction agreement {result['prediction_agreement']:.6f} < {args.min_predictions}")
if bad:
    print("FAILED: " + "; ".join(bad))
    sys.exit(1)
print(f"ok: {N} inputs x {L} steps, spike agreement >= {min(spike_agreement):.6f} in every block, "
      f"prediction agreement {result['prediction_agreement']:.4f}")
