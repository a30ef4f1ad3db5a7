#!/usr/bin/env python3
"""Make the test fixture of spikessm.official: run the official SpikingSSM code itself.

The official code (github.com/shenshuaijie/SDN) is installed on top of the s4 repository
(github.com/state-spaces/s4): its `src/models/spike` and `models/spike` folders are copied into
an s4 checkout. This script does that in a scratch folder, builds small random-initialised
official models with the s4 pipeline's linear encoder and pooling decoder (the same module
names as the s4 trainer's checkpoints), and writes per model one safetensors file:

  state/<official key>   the official state dict, as the s4 trainer names it
  input                  a fixed input (B, L, d_input) float32, or (B, L) int64 token ids, or
                         for retrieval (2B, L): the B first documents, then the B second ones
  lengths                token counts (token models: the decoder pools over these)
  logits                 the official float32 logits (B, n_classes)
  logits64               the official logits of the float64 twin (LIF neurons only)
  spikes                 (n_layers) spikes per layer in the float32 forward
  metadata "official"    the official hyperparameters (JSON)

Nothing of the official code is written to the output folder: tensors and numbers only.

  /usr/bin/python3 tests/python/make_official_fixture.py --sdn SDN_CHECKOUT --s4 S4_CHECKOUT \
      --work /tmp/official_sdn [--out tests/fixtures/official_sdn] [--preset small|realistic]

The script makes its own virtualenv (--system-site-packages, so Debian's torch 1.13.1) in
WORK/venv with the few PyPI packages the official model files import, then re-runs itself
inside it.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys

# What the official model files import beyond torch and numpy (scipy pinned to a release built
# for Debian's numpy 1.24, installed without its numpy 2 requirement).
PIP_PACKAGES = ["einops==0.8.2", "opt_einsum==3.4.0", "omegaconf==2.3.1", "hydra-core==1.3.8",
                "rich==15.0.0", "safetensors==0.8.0"]
PIP_NO_DEPS = ["scipy==1.11.4"]

# s4's src/utils/train.py imports pytorch_lightning only for the rank_zero_only logging
# decorator; pytorch_lightning itself cannot be imported next to torch 1.13 on Python 3.11
# (torch.distributed._shard fails on 3.11's dataclasses), so the scratch tree gets a stand-in
# that provides just that decorator. No model code depends on it.
PL_SHIM = "def rank_zero_only(fn):\n    return fn\n"

# Official models of the fixture. Keys: the SpikingSSM backbone's arguments, the SS4D layer's,
# and the pipeline's encoder/decoder. The official experiment configs leave `neuron` at its
# default, the SDN.
SMALL = {
    # configs/experiment/spikingssm/pminst.yaml at small size: post-norm (a no-op in the
    # official code), causal, B = 1, SDN neuron.
    "psmnist_sdn": dict(d_model=8, n_layers=2, dropout=0.1, prenorm=False, norm="layer",
                        layer=dict(d_state=8, lr=0.001, neuron="sdn"),
                        d_input=1, n_classes=10, batch=3, length=48),
    # pathx.yaml / sc.yaml: pre-norm BatchNorm, bidirectional, trainable B (s4's SSMKernelDiag).
    "pathx_sdn_trainable_b": dict(d_model=8, n_layers=2, dropout=0.0, prenorm=True, norm="batch",
                                  layer=dict(d_state=8, lr=0.001, bidirectional=True,
                                             trainable_B=True, shared_vth=False, neuron="sdn",
                                             dt_min=0.0001, dt_max=0.1),
                                  d_input=1, n_classes=2, batch=3, length=40),
    # The iterative LIF neurons with pre-norm LayerNorm, bidirectional, one shared threshold.
    "lif_bptt_bidirectional": dict(d_model=6, n_layers=2, dropout=0.0, prenorm=True,
                                   norm="layer",
                                   layer=dict(d_state=4, lr=0.001, bidirectional=True,
                                              shared_vth=True, neuron="bptt"),
                                   d_input=3, n_classes=5, batch=2, length=36),
    "lif_sltt_batch_fixed_vth": dict(d_model=6, n_layers=2, dropout=0.0, prenorm=True,
                                     norm="batch",
                                     layer=dict(d_state=6, lr=0.001, learnable_vth=False,
                                                trainable_B=True, neuron="sltt"),
                                     d_input=2, n_classes=3, batch=2, length=30,
                                     input_scale=3.0),
    # listops.yaml: token ids, embedding encoder, pooling over each sequence's length.
    "listops_tokens": dict(d_model=8, n_layers=2, dropout=0.0, prenorm=False, norm="batch",
                           layer=dict(d_state=4, lr=0.001, bidirectional=True, trainable_B=True,
                                      neuron="sdn"),
                           vocab=12, n_classes=10, batch=3, length=24),
    # aan.yaml: two documents through one tower, s4's retrieval decoder (nli head, GELU).
    "aan_pairs": dict(d_model=8, n_layers=2, dropout=0.0, prenorm=True, norm="batch",
                      layer=dict(d_state=4, lr=0.001, bidirectional=True, neuron="sdn"),
                      vocab=10, n_classes=2, batch=3, length=20, retrieval=True),
}
REALISTIC = {
    # pminst.yaml with d_model 64 (4 layers, N 64, L 784).
    "psmnist_sdn_realistic": dict(d_model=64, n_layers=4, dropout=0.1, prenorm=False,
                                  norm="layer", layer=dict(d_state=64, lr=0.001, neuron="sdn"),
                                  d_input=1, n_classes=10, batch=4, length=784),
    "lif_bptt_realistic": dict(d_model=64, n_layers=4, dropout=0.0, prenorm=True, norm="batch",
                               layer=dict(d_state=64, lr=0.001, bidirectional=True,
                                          trainable_B=True, neuron="bptt"),
                               d_input=1, n_classes=10, batch=4, length=784),
}


def fail(msg):
    print(f"make_official_fixture: {msg}", file=sys.stderr)
    sys.exit(2)


def prepare(args):
    """Scratch tree (s4 src + the official spike folders + the logging shim) and venv."""
    sdn, s4, work = (pathlib.Path(p).resolve() for p in (args.sdn, args.s4, args.work))
    for p, what in ((sdn / "models/spike/ss4d.py", "--sdn"), (s4 / "src/models/nn", "--s4")):
        if not p.exists():
            fail(f"{what}: {p} not found (expected a checkout of the official repository)")
    pkl = list((sdn / "src/models/spike").glob("*.pkl"))
    if not pkl:
        fail(f"--sdn: no SDN network (*.pkl) in {sdn / 'src/models/spike'}")
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(s4 / "src", tree / "src")
    shutil.copytree(sdn / "src/models/spike", tree / "src/models/spike", dirs_exist_ok=True)
    shutil.copytree(sdn / "models", tree / "models")
    for d in (tree / "models", tree / "models/spike", tree / "src/models/spike"):
        (d / "__init__.py").touch()
    shim = work / "shim/pytorch_lightning/utilities"
    shim.mkdir(parents=True, exist_ok=True)
    (shim.parent / "__init__.py").write_text("")
    (shim / "__init__.py").write_text(PL_SHIM)
    venv = work / "venv"
    py = venv / "bin/python"
    if not py.exists():
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)],
                       check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PIP_PACKAGES], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", *PIP_NO_DEPS],
                       check=True)
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{work / 'shim'}")
    cmd = [str(py), str(pathlib.Path(__file__).resolve()), "--inner", "--out",
           str(pathlib.Path(args.out).resolve()), "--preset", args.preset, "--seed",
           str(args.seed)]
    sys.exit(subprocess.run(cmd, env=env, cwd=str(tree)).returncode)


def build_official(spec):
    """The official backbone between the s4 pipeline's encoder and decoder, named as the s4
    trainer names them (encoder.0, model, decoder.0)."""
    from torch import nn
    import src.models.nn.utils as U
    from src.tasks.decoders import RetrievalDecoder, SequenceDecoder
    from models.spike.ss4d import SpikingSSM

    class Pipeline(nn.Module):
        def __init__(self):
            super().__init__()
            H = spec["d_model"]
            enc = nn.Embedding(spec["vocab"], H) if "vocab" in spec else \
                nn.Linear(spec["d_input"], H)
            self.encoder = U.PassthroughSequential(enc)
            self.model = SpikingSSM(d_model=H, n_layers=spec["n_layers"],
                                    dropout=spec["dropout"], prenorm=spec["prenorm"],
                                    norm=spec["norm"], layer=dict(spec["layer"]))
            if spec.get("retrieval"):  # the aan pipeline's decoder
                dec = RetrievalDecoder(H, spec["n_classes"], nli=True, activation="gelu",
                                       mode="pool", use_lengths=True)
            else:
                dec = SequenceDecoder(H, spec["n_classes"], l_output=0, mode="pool",
                                      use_lengths="vocab" in spec)
            self.decoder = U.PassthroughSequential(dec)

        def forward(self, x, lengths=None):
            x, _ = self.encoder(x)
            x, _ = self.model(x)
            kw = {} if lengths is None else {"lengths": lengths}
            x, _ = self.decoder(x, **kw)
            return x

    return Pipeline()


def randomise(model, gen):
    """Move every trained quantity off its initial value so that each one shows in the logits
    (at initialisation A's real part, ln_vth, B and the norms are constants)."""
    import torch
    with torch.no_grad():
        for name, t in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if leaf in ("log_A_real", "A_real"):
                t.add_(0.3 * torch.randn(t.shape, generator=gen))
            elif leaf == "A_imag":
                t.add_(0.1 * torch.randn(t.shape, generator=gen))
            elif leaf == "ln_vth":
                t.copy_(0.3 * torch.randn(t.shape, generator=gen) - 0.5)
            elif leaf == "B":
                t.add_(0.2 * torch.randn(t.shape, generator=gen))
            elif ".norms." in f".{name}" and leaf == "weight":
                t.copy_(1 + 0.2 * torch.randn(t.shape, generator=gen))
            elif ".norms." in f".{name}" and leaf == "bias":
                t.copy_(0.1 * torch.randn(t.shape, generator=gen))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=gen))
            elif name.endswith("running_var"):
                b.copy_(1 + 0.3 * torch.rand(b.shape, generator=gen))
            elif name.endswith("num_batches_tracked"):
                b.fill_(7)


def run_case(name, spec, seed, out):
    import torch
    from safetensors.torch import save_file
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = build_official(spec)
    randomise(model, gen)
    model.eval()
    B, L = spec["batch"], spec["length"]
    lengths = None
    if "vocab" in spec:
        # Ids 1..vocab-1, padded with <pad> = 0 at the end to the longest sequence (one has full
        # length), as s4's LRA collate functions pad. Retrieval: the first and second documents
        # of the B pairs, concatenated along the batch (2B, L), as s4's AAN collate does.
        R = 2 * B if spec.get("retrieval") else B
        x = torch.randint(1, spec["vocab"], (R, L), generator=gen)
        lengths = torch.tensor([L] + [int(v) for v in torch.randint(L // 2, L, (R - 1,),
                                                                       generator=gen)])
        for b in range(R):
            x[b, lengths[b]:] = 0
    else:
        x = spec.get("input_scale", 1.0) * torch.randn(B, L, spec["d_input"], generator=gen)

    counts = []
    hooks = [layer.neuron.register_forward_hook(lambda m, i, o: counts.append(o.sum().item()))
             for layer in model.model.s4_layers]
    with torch.no_grad():
        logits = model(x, lengths.tolist() if lengths is not None else None)
    for h in hooks:
        h.remove()
    tensors = {f"state/{k}": v.detach().clone().contiguous()
               for k, v in model.state_dict().items()}
    tensors["input"] = x.contiguous()
    tensors["logits"] = logits.contiguous()
    tensors["spikes"] = torch.tensor(counts, dtype=torch.float64)
    if lengths is not None:
        tensors["lengths"] = lengths
    if spec["layer"].get("neuron", "sdn") != "sdn":
        # The float64 twin: the same weights and input, every operation in double.
        with torch.no_grad():
            model.double()
            xd = x if x.dtype == torch.int64 else x.double()
            tensors["logits64"] = model(xd, None).contiguous()
    meta = {"official": json.dumps(spec, sort_keys=True), "case": name,
            "torch": torch.__version__}
    path = out / f"{name}.safetensors"
    save_file(tensors, str(path), metadata=meta)
    print(f"{path}: {len(tensors)} tensors, {path.stat().st_size} bytes, spikes/layer {counts}")


def inner(args):
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = SMALL if args.preset == "small" else REALISTIC
    for i, (name, spec) in enumerate(cases.items()):
        run_case(name, spec, args.seed + 100 * i, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sdn", help="checkout of github.com/shenshuaijie/SDN")
    ap.add_argument("--s4", help="checkout of github.com/state-spaces/s4")
    ap.add_argument("--work", default="/tmp/official_sdn", help="scratch folder (tree, venv)")
    ap.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parents[1] /
                                         "fixtures/official_sdn"))
    ap.add_argument("--preset", choices=["small", "realistic"], default="small")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        inner(args)
    else:
        if not args.sdn or not args.s4:
            fail("--sdn and --s4 are required (checkouts of the two official repositories)")
        prepare(args)


if __name__ == "__main__":
    main()
