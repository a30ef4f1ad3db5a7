#!/usr/bin/env python3
"""Time one AdamW training step of the official SpikingSSM code, for the side-by-side with
build/bench/bench_train_step's 4 x 64, N 64 case.

The official code (github.com/shenshuaijie/SDN on top of github.com/state-spaces/s4) runs from
the two checkouts given, in a scratch folder, exactly as tests/python/make_official_fixture.py
installs it (its tree, shim and virtualenv with Debian's torch 1.13.1). Nothing of the official
code is written into this repository.

Model: the official SpikingSSM backbone between the s4 pipeline's linear encoder and pooling
decoder, 4 layers, d_model 64, N 64, pre-norm LayerNorm, no dropout, batch 32, L 784, 10
classes, cross-entropy, torch.optim.AdamW; neuron "sdn" (the official default) or "bptt".
Prints one line per case: ms/step (median of the timed steps, wall clock; and the process's CPU
time per step, all threads, for a shared machine) and the process's peak RSS.
Each case runs in its own process so that peak RSS is the case's own.

  /usr/bin/python3 bench/official_train_step.py --sdn SDN_CHECKOUT --s4 S4_CHECKOUT \\
      --work /tmp/official_sdn [--threads 1 2] [--neurons sdn bptt] [--steps 5]
"""
import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "tests/python"))


def fail(msg):
    print(f"official_train_step: {msg}", file=sys.stderr)
    sys.exit(2)


def prepare(args):
    """The fixture script's scratch tree and venv; returns (python, environment, tree)."""
    import make_official_fixture as mof
    sdn, s4, work = (pathlib.Path(p).resolve() for p in (args.sdn, args.s4, args.work))
    for p, what in ((sdn / "models/spike/ss4d.py", "--sdn"), (s4 / "src/models/nn", "--s4")):
        if not p.exists():
            fail(f"{what}: {p} not found (expected a checkout of the official repository)")
    tree = work / "tree"
    if not tree.exists():
        import shutil
        shutil.copytree(s4 / "src", tree / "src")
        shutil.copytree(sdn / "src/models/spike", tree / "src/models/spike", dirs_exist_ok=True)
        shutil.copytree(sdn / "models", tree / "models")
        for d in (tree / "models", tree / "models/spike", tree / "src/models/spike"):
            (d / "__init__.py").touch()
    shim = work / "shim/pytorch_lightning/utilities"
    shim.mkdir(parents=True, exist_ok=True)
    (shim.parent / "__init__.py").write_text("")
    (shim / "__init__.py").write_text(mof.PL_SHIM)
    py = work / "venv/bin/python"
    if not py.exists():
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages",
                        str(work / "venv")], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *mof.PIP_PACKAGES], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", *mof.PIP_NO_DEPS],
                       check=True)
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{work / 'shim'}")
    return str(py), env, str(tree)


def inner(args):
    """One case in this process: build, warm up, time args.steps steps."""
    import torch
    from torch import nn
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(args.flush_denormal)
    import src.models.nn.utils as U
    from src.tasks.decoders import SequenceDecoder
    from models.spike.ss4d import SpikingSSM
    torch.manual_seed(0)
    H, L, B = 64, 784, 32
    model = nn.Sequential()
    model.encoder = U.PassthroughSequential(nn.Linear(1, H))
    model.backbone = SpikingSSM(d_model=H, n_layers=4, dropout=0.0, prenorm=True, norm="layer",
                                layer=dict(d_state=64, lr=0.001, neuron=args.neuron))
    model.decoder = U.PassthroughSequential(SequenceDecoder(H, 10, l_output=0, mode="pool"))

    def forward(x):
        x, _ = model.encoder(x)
        x, _ = model.backbone(x)
        x, _ = model.decoder(x)
        return x

    opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
    x = torch.randn(B, L, 1)
    y = torch.randint(0, 10, (B,))
    model.train()
    times, cpu = [], []
    for i in range(args.warmup + args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss = nn.functional.cross_entropy(forward(x), y)
        loss.backward()
        opt.step()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    print(json.dumps({"code": "official", "neuron": args.neuron, "threads": args.threads,
                      "ms_per_step": round(1000 * statistics.median(times), 1),
                      "cpu_ms_per_step": round(1000 * statistics.median(cpu), 1),
                      "peak_rss_MiB": round(rss), "steps": args.steps,
                      "flush_denormal": args.flush_denormal,
                      "torch": torch.__version__}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sdn", help="checkout of github.com/shenshuaijie/SDN")
    ap.add_argument("--s4", help="checkout of github.com/state-spaces/s4")
    ap.add_argument("--work", default="/tmp/official_sdn", help="scratch folder (tree, venv)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--neurons", nargs="+", default=["sdn", "bptt"])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--flush-denormal", action="store_true",
                    help="run the official code with torch.set_flush_denormal(True)")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--neuron", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        args.threads = args.threads[0]
        return inner(args)
    if not args.sdn or not args.s4:
        fail("--sdn and --s4 are required (checkouts of the two official repositories)")
    py, env, tree = prepare(args)
    for threads in args.threads:
        for neuron in args.neurons:
            cmd = [py, str(HERE), "--inner", "--neuron", neuron, "--threads", str(threads),
                   "--steps", str(args.steps), "--warmup", str(args.warmup)]
            if args.flush_denormal:
                cmd.append("--flush-denormal")
            # OpenBLAS's pool follows OPENBLAS_NUM_THREADS, not torch.set_num_threads, so it
            # gets the same count (as spikessm's --threads sets both).
            blas_env = dict(env, OPENBLAS_NUM_THREADS=str(threads))
            rc = subprocess.run(cmd, env=blas_env, cwd=tree).returncode
            if rc != 0:
                fail(f"the official code failed (neuron {neuron}, {threads} threads): exit {rc}")


if __name__ == "__main__":
    main()
