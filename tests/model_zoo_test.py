#!/usr/bin/env python3
"""CTest model_zoo: every model of models/ reproduces its card.

For each models/<name>/card.json: the checkpoint is small and weights-only; each evaluation
the card marks "ctest" is run with `spikessm eval` and its statistics are compared with the
card's expected numbers within the card's tolerance; then the model is loaded once through
the other tools that apply (card "loads": "generate" samples text and compares it with the
card's sample, "export" writes NIR, "stream" runs a causal classifier step by step and compares
its prediction with eval's, "python" loads it with spikessm.load when the package is built).

Usage: model_zoo_test.py SPIKESSM_CLI MODELS_DIR WORK_DIR
Data: {shared_data} = $SPIKESSM_SHARED_DATA or ../shared/data next to the repository,
{fashion_mnist} = $SPIKESSM_FASHION_MNIST or Debian's /usr/share/datasets/fashion-mnist.
A model whose data is absent is skipped with a message; exit 77 (skipped) when all are.
The card format is described in models/README.md. Python standard library only.
"""
import json
import os
import struct
import subprocess
import sys

MAX_BYTES = 8 << 20  # "a few MB": every file of a model folder stays under this


def data_roots(models_dir):
    repo = os.path.dirname(os.path.abspath(models_dir))
    return {
        "shared_data": os.environ.get("SPIKESSM_SHARED_DATA",
                                      os.path.join(os.path.dirname(repo), "shared", "data")),
        "fashion_mnist": os.environ.get("SPIKESSM_FASHION_MNIST",
                                        "/usr/share/datasets/fashion-mnist"),
    }


def expand(args, roots):
    return [a.format(**roots) for a in args]


def run(cmd, **kw):
    """Runs without a shell; returns stdout. Any failure fails the test with its output."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def within(name, got, want, tol, samples):
    """accuracy: +-tol["accuracy_samples"] samples; everything else: relative tol["relative"]."""
    if isinstance(want, str) or isinstance(want, bool):
        return got == want
    if name == "accuracy":
        return abs(got - want) <= tol["accuracy_samples"] / samples + 1e-12
    return abs(got - want) <= tol["relative"] * max(abs(want), 1e-12)


def check_eval(cli, folder, card, ev, roots, work):
    out = os.path.join(work, f"{card['name']}_{ev['name']}.json")
    cmd = [cli, "eval", "--checkpoint", os.path.join(folder, card["checkpoint"]), "--threads",
           str(card.get("threads", 1)), "--json", out] + expand(ev["args"], roots)
    run(cmd)
    with open(out) as f:
        stats = json.load(f)
    samples = stats.get("samples", 1)
    bad = []
    for key, want in ev["expect"].items():
        if key not in stats:
            bad.append(f"{key}: missing from eval's statistics")
        elif not within(key, stats[key], want, card["tolerance"], samples):
            bad.append(f"{key}: {stats[key]!r}, card says {want!r}")
    if bad:
        raise AssertionError(f"{card['name']} / {ev['name']} ({' '.join(cmd)}):\n  " +
                             "\n  ".join(bad))
    print(f"  eval {ev['name']}: " +
          ", ".join(f"{k} {stats[k]}" for k in ev["expect"]) + " (as on the card)")
    return stats


def npy_rows(path, first):
    """The first `first` rows of a float32 .npy (C order) as (shape, bytes)."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:6] == b"\x93NUMPY", path
    hlen = struct.unpack("<H", raw[8:10])[0] if raw[6] == 1 else struct.unpack("<I", raw[8:12])[0]
    start = (10 if raw[6] == 1 else 12) + hlen
    header = raw[start - hlen:start].decode("latin1")
    shape = tuple(int(s) for s in header.split("(")[1].split(")")[0].split(",") if s.strip())
    assert "'<f4'" in header and "True" not in header, f"{path}: expected C-order float32"
    row = 4
    for s in shape[1:]:
        row *= s
    return shape, raw[start:start + first * row]


def write_npy(path, shape, data):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else ""))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(data)


def checkpoint_meta(path):
    """The JSON "meta" section of a checkpoint (layout: include/spikessm/common/checkpoint_format.h)."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:8] == b"SPKSSMCK", f"{path}: not a spikessm checkpoint"
    n, pos = struct.unpack("<I", raw[12:16])[0], 32
    for _ in range(n):
        k = struct.unpack("<I", raw[pos:pos + 4])[0]
        name = raw[pos + 4:pos + 4 + k].decode()
        size = struct.unpack("<Q", raw[pos + 4 + k:pos + 12 + k])[0]
        if name == "meta":
            return json.loads(raw[pos + 12 + k:pos + 12 + k + size])
        pos += 12 + k + size
    raise AssertionError(f"{path}: no meta section")


def model_inputs(ckpt, x):
    """export --reference writes an image task's raw pixel values (its graph standardises
    them); stream reads the model's inputs: p / 255 standardised by the training split."""
    meta = checkpoint_meta(ckpt)
    if not any(f'dataset = "{d}"' in meta["config"] for d in ("mnist", "fashion-mnist")):
        return x
    stats = meta["state"]["train_split"]
    mean, sd = stats["mean"][0], stats["std"][0]
    raw = struct.unpack(f"<{len(x) // 4}f", x)
    return struct.pack(f"<{len(raw)}f", *[(p / 255.0 - mean) / sd for p in raw])


def check_stream(cli, ckpt, card, roots, work):
    """A causal classifier streamed step by step predicts what NIR export's reference run
    (the parallel forward pass) predicts, on the first test input."""
    ref = os.path.join(work, card["name"] + "_ref")
    run([cli, "export", "--format", "nir", "--checkpoint", ckpt, "--out", ref + ".nir",
         "--reference", ref, "--samples", "1"] + expand(card.get("data_args", []), roots))
    shape, x = npy_rows(os.path.join(ref, "inputs.npy"), 1)
    x = model_inputs(ckpt, x)
    _, logits = npy_rows(os.path.join(ref, "logits.npy"), 1)
    scores = struct.unpack(f"<{len(logits) // 4}f", logits)
    want = max(range(len(scores)), key=lambda i: scores[i])
    one = os.path.join(work, card["name"] + "_x0.npy")
    write_npy(one, shape[1:], x)
    events = [json.loads(line) for line in
              run([cli, "stream", "--checkpoint", ckpt, "--input", one, "--json"]).splitlines()
              if line.startswith("{")]
    got = events[-1].get("class", events[-1].get("prediction"))
    assert got == want, f"stream predicts {got}, the parallel pass {want}: {events[-1]}"
    print(f"  stream: class {got} after {shape[1]} steps, as the parallel pass")


def check_loads(cli, folder, card, roots, work):
    ckpt = os.path.join(folder, card["checkpoint"])
    for tool in card.get("loads", []):
        if tool == "generate":
            g = card["generate"]
            text = run([cli, "generate", "--checkpoint", ckpt, "--threads", "1"] + g["args"])
            assert text.startswith(g["output"]), (
                f"generate printed:\n{text}\ncard's sample:\n{g['output']}")
            print(f"  generate: {len(g['output'])} characters, as on the card")
        elif tool == "export":
            out = os.path.join(work, card["name"] + ".nir")
            print("  export: " + run([cli, "export", "--format", "nir", "--checkpoint", ckpt,
                                      "--out", out] + expand(card.get("data_args", []), roots))
                  .strip().split(":")[0])
        elif tool == "stream":
            check_stream(cli, ckpt, card, roots, work)
        elif tool == "python":
            if os.environ.get("PYTHONPATH") is None:
                print("  python: package not built (no PYTHONPATH), not checked")
                continue
            code = ("import sys, spikessm\n"
                    "m = spikessm.load(sys.argv[1])\n"
                    "print(type(m).__name__, sum(p.numel() for p in m.parameters()))\n")
            kind, n = run([sys.executable, "-c", code, os.path.abspath(ckpt)], cwd=work).split()
            assert int(n) == card["parameters"], f"spikessm.load: {n} parameters"
            print(f"  python: spikessm.load gives a {kind} of {n} parameters")
        else:
            raise AssertionError(f"{card['name']}: unknown tool '{tool}' in loads")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    cli, models, work = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    roots = data_roots(models)
    names = sorted(d for d in os.listdir(models) if os.path.isfile(
        os.path.join(models, d, "card.json")))
    assert names, f"{models}: no models (expected <name>/card.json)"
    checked = 0
    for name in names:
        folder = os.path.join(models, name)
        with open(os.path.join(folder, "card.json")) as f:
            card = json.load(f)
        assert card["name"] == name, f"{folder}: card name {card['name']!r}"
        for file in os.listdir(folder):
            size = os.path.getsize(os.path.join(folder, file))
            assert size <= MAX_BYTES, f"{folder}/{file}: {size} bytes (at most {MAX_BYTES})"
        for need in card.get("data_paths", []):
            if not os.path.exists(need.format(**roots)):
                print(f"{name}: SKIPPED, no {need.format(**roots)}")
                break
        else:
            print(f"{name}:")
            for ev in card["evaluations"]:
                if ev.get("ctest"):
                    check_eval(cli, folder, card, ev, roots, work)
            check_loads(cli, folder, card, roots, work)
            checked += 1
    print(f"{checked} of {len(names)} models reproduce their cards")
    return 0 if checked else 77


if __name__ == "__main__":
    sys.exit(main())
