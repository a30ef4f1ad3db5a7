#!/usr/bin/env python3
"""LIF and PLIF forward + backward on the CPU: spikessm's fused ops against the CPU paths of
SpikingJelly (multi-step, backend "torch") and snnTorch (Leaky over time), same inputs, one
process, ratios in one run.

    tests/python/make_venv.sh build/pyvenv
    PYTHONPATH=build/python build/pyvenv/bin/python bench/peers.py [--T 1024 --N 8192 --reps 3]

N neurons are laid out as (B, D) = (8, N / 8); inputs (B, T, D) float32 for us, time-first for
SpikingJelly. Every row: median seconds of fwd+bwd (loss = sum of spikes times fixed weights).
"""
import argparse
import os
import platform
import statistics
import subprocess
import time

import torch

import spikessm
import spikessm.functional as F


def timed(fn, reps):
    fn()  # warm-up (allocations, JIT)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fwd_bwd(forward, x, w):
    def run():
        xx = x.detach().requires_grad_(True)
        (forward(xx) * w).sum().backward()
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, default=1024)
    ap.add_argument("--N", type=int, default=8192)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spikessm.keep_freed_memory()  # for every library in this process alike (DESIGN.md)
    B = 8
    D = args.N // B
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, args.T, D, generator=g) * 0.8 + 0.3
    w = torch.randn(B, args.T, D, generator=g)
    x_tf, w_tf = x.transpose(0, 1).contiguous(), w.transpose(0, 1).contiguous()

    rows = []
    rows.append(("LIF", "spikessm lif_multistep (fused)",
                 timed(fwd_bwd(lambda x: F.lif(x, tau=0.5, surrogate="atan", alpha=2.0), x, w),
                       args.reps)))
    wp, vth = torch.zeros(D, requires_grad=True), torch.ones(D)
    rows.append(("PLIF", "spikessm plif_multistep (fused)",
                 timed(fwd_bwd(lambda x: F.plif(x, wp, vth, reset="hard", surrogate="atan",
                                                alpha=2.0)[0], x, w), args.reps)))
    try:
        from spikingjelly.activation_based import neuron, surrogate
        lif = neuron.LIFNode(tau=2.0, decay_input=False, v_reset=0.0, step_mode="m",
                             surrogate_function=surrogate.ATan(), backend="torch")
        plif = neuron.ParametricLIFNode(init_tau=2.0, v_reset=0.0, step_mode="m",
                                        surrogate_function=surrogate.ATan(), backend="torch")

        def sj(node):
            def f(x):
                node.reset()
                return node(x)
            return f
        rows.append(("LIF", "SpikingJelly LIFNode (torch)",
                     timed(fwd_bwd(sj(lif), x_tf, w_tf), args.reps)))
        rows.append(("PLIF", "SpikingJelly ParametricLIFNode (torch)",
                     timed(fwd_bwd(sj(plif), x_tf, w_tf), args.reps)))
    except ImportError:
        print("SpikingJelly not installed: skipped (tests/python/make_venv.sh)")
    try:
        import snntorch
        from snntorch import surrogate as ssg
        leaky = snntorch.Leaky(beta=0.5, spike_grad=ssg.atan(alpha=2.0), reset_mechanism="zero",
                               init_hidden=True, output=True)

        def snn_run(x):
            leaky.mem = leaky.init_leaky()  # zeros of the input's shape at the first step
            return torch.stack([leaky(x[:, t])[0] for t in range(x.shape[1])], 1)
        rows.append(("LIF", "snnTorch Leaky (init_hidden)",
                     timed(fwd_bwd(snn_run, x, w), args.reps)))
    except ImportError:
        print("snnTorch not installed: skipped (tests/python/make_venv.sh)")

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    print(f"# T={args.T} N={args.N} (B={B}, D={D}) float32, fwd+bwd, median of {args.reps}; "
          f"threads {args.threads}; torch {torch.__version__}; commit {commit}; "
          f"{platform.processor() or platform.machine()}")
    print(f"| neuron | implementation | seconds | vs spikessm |\n|---|---|---|---|")
    ours = {n: t for n, impl, t in rows if impl.startswith("spikessm")}
    for n, impl, t in rows:
        print(f"| {n} | {impl} | {t:.3f} | {t / ours[n]:.1f}x |")


if __name__ == "__main__":
    main()
