"""Loads a spikessm NIR export with the reference library (nir.read, with type checking) and
checks node types, shapes and parameters against the model's documented mapping, using only
the file and the config TOML stored in its metadata."""
import sys
import tomllib

import numpy as np
import nir

path = sys.argv[1]
g = nir.read(path)  # raises on unknown node types, bad parameters or mismatched shapes
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def close(a, b, tol=1e-5):
    return np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=tol, atol=tol)


meta = g.metadata
cfg = tomllib.loads(meta["spikessm.config"])
model = cfg["model"]
H, N, layers = model["d_model"], model["d_state"], model["n_layers"]
decay, v_th = model["tau"], model["v_th"]
dt = float(meta["dt"])
L = int(meta["sequence_length"])
S = H * N  # real states: N/2 complex modes x 2 per channel

check(isinstance(g.nodes["input"], nir.Input) and list(g.nodes["input"].input_type["input"]) == [1], "input shape [1]")
check(isinstance(g.nodes["output"], nir.Output) and list(g.nodes["output"].output_type["output"]) == [10], "output shape [10]")
enc, dec = g.nodes["encoder"], g.nodes["decoder"]
check(isinstance(enc, nir.Affine) and enc.weight.shape == (H, 1) and enc.bias.shape == (H,), "encoder Affine (H, 1)")
check(isinstance(dec, nir.Affine) and dec.weight.shape == (10, H), "decoder Affine (10, H)")
pool = g.nodes["pool"]
check(isinstance(pool, nir.I) and close(pool.r, np.full(H, 1.0 / (L * dt))), "pool: integrator r = 1/(L dt)")

for i in range(layers):
    p = f"block{i}_"
    lif = g.nodes[p + "lif"]
    check(isinstance(lif, nir.LIF), p + "lif is LIF")
    check(close(np.exp(-dt / lif.tau), np.full(H, decay)), p + "lif: exp(-dt/tau) = the model's decay per step")
    check(close(lif.r * (1 - decay), np.ones(H)), p + "lif: r (1 - decay) = 1")
    check(close(lif.v_leak, 0) and close(lif.v_reset, 0), p + "lif: v_leak = v_reset = 0")
    check(lif.v_threshold.shape == (H,) and np.all(lif.v_threshold > 0), p + "lif: positive per-neuron thresholds")
    mix = g.nodes[p + "mix"]
    check(isinstance(mix, nir.Affine) and mix.weight.shape == (2 * H, H) and mix.bias.shape == (2 * H,), p + "mix Affine (2H, H)")
    glu = g.nodes[p + "glu"]
    check(isinstance(glu, nir.NIRGraph) and glu.metadata.get("spikessm.op") == "glu", p + "glu sub-graph")
    check(isinstance(g.nodes[p + "residual"], nir.Scale) and close(g.nodes[p + "residual"].scale, 1), p + "residual Scale(1)")
    if model.get("norm", "layer") == "layer":
        norm = g.nodes[p + "norm"]
        check(isinstance(norm, nir.Affine) and norm.metadata.get("spikessm.op") == "layer_norm", p + "norm: LayerNorm Affine")
        check(close(norm.weight, np.diag(np.diag(norm.weight))), p + "norm: diagonal gain")

    s4d = g.nodes[p + "s4d"]
    check(isinstance(s4d, nir.NIRGraph), p + "s4d is a sub-graph")
    dt_h = np.exp(np.asarray(s4d.metadata["log_dt"], dtype=np.float64))
    branches = [("", s4d)]
    if model.get("bidirectional", False):
        rev = s4d.nodes["reverse"]
        check(isinstance(rev, nir.NIRGraph) and int(rev.metadata["spikessm.time_reversed"]) == 1, p + "s4d: reverse sub-graph")
        check(isinstance(rev.nodes["delay"], nir.Delay) and close(rev.nodes["delay"].delay, np.full(H, dt)), p + "reverse delay = dt")
        branches.append(("reverse/", rev))
    check(isinstance(s4d.nodes["d"], nir.Scale) and s4d.nodes["d"].scale.shape == (H,), p + "s4d: D skip Scale")
    for name, sg in branches:
        w = p + "s4d/" + name
        A, B, C, x = sg.nodes["a"].weight, sg.nodes["b"].weight, sg.nodes["c"].weight, sg.nodes["x"]
        check(A.shape == (S, S) and B.shape == (S, H) and C.shape == (H, S), w + ": A (S,S), B (S,H), C (H,S)")
        check(isinstance(x, nir.I) and close(x.r, np.ones(S)), w + ": state integrator r = 1")
        check(("x", "a") in sg.edges and ("a", "x") in sg.edges, w + ": recurrent edge x -> a -> x")
        # 2x2 rotation-decay blocks [[ar, -ai], [ai, ar]] with ar < 0 (a stable system), nothing else.
        ar, ai = np.diag(A)[0::2], A[1::2, 0::2].diagonal()
        blocks = np.zeros_like(A)
        idx = np.arange(0, S, 2)
        blocks[idx, idx] = blocks[idx + 1, idx + 1] = ar
        blocks[idx + 1, idx] = ai
        blocks[idx, idx + 1] = -ai
        check(np.array_equal(A, blocks), w + ": A is block-diagonal rotation-decay")
        check(np.all(ar < 0), w + ": Re A < 0")
        # B = dt_h / dt on the real state of each of channel h's modes when B is fixed to 1.
        if not model.get("trainable_b", False):
            expect = np.zeros((S, H))
            for h in range(H):
                expect[h * N:(h + 1) * N:2, h] = dt_h[h] / dt
            check(close(B, expect, 1e-5), w + ": B = dt_h / dt (B fixed to 1)")
        # Each channel's output reads only its own modes.
        mask = np.zeros((H, S), dtype=bool)
        for h in range(H):
            mask[h, h * N:(h + 1) * N] = True
        check(np.all(C[~mask] == 0), w + ": C reads only the channel's own states")

n_nodes = len(g.nodes) + sum(len(n.nodes) for n in g.nodes.values() if isinstance(n, nir.NIRGraph))
if failures:
    print("FAILED checks:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"nir.read ok: {path}: {len(g.nodes)} top-level nodes ({n_nodes} with sub-graphs), "
      f"{layers} blocks, H {H}, N {N}, every check passed")
