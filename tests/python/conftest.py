"""Shared fixtures: the CLI binary, and one briefly trained default model (the CLI's own
training run) that the checkpoint tests and examples read."""
import os
import pathlib
import subprocess

import pytest

import spikessm

# The CLI's default thread count (every core): outputs compared with the CLI's depend on it.
spikessm.set_threads()

REPO = pathlib.Path(__file__).resolve().parents[2]
CLI = os.environ.get("SPIKESSM_CLI", str(REPO / "build" / "spikessm"))
FMNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")

# The default job (configs/quickstart.toml) cut to a few steps and a small test split.
QUICK_SETS = ["train.max_steps=20", "data.train_limit=640", "data.test_limit=200",
              "train.eval_batch_size=50"]


def run_cli(*args, timeout=600):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"spikessm {' '.join(map(str, args))} failed ({r.returncode}):\n"
                             f"{r.stderr[-3000:]}")
    return r


@pytest.fixture(scope="session")
def cli():
    if not os.access(CLI, os.X_OK):
        pytest.skip(f"the spikessm CLI is not built at {CLI} (set SPIKESSM_CLI)")
    return CLI


@pytest.fixture(scope="session")
def trained_run(cli, tmp_path_factory):
    """A run directory of `spikessm train --config configs/quickstart.toml` (20 steps)."""
    if not (FMNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("Fashion-MNIST is not installed (Debian: dataset-fashion-mnist)")
    out = tmp_path_factory.mktemp("quickstart")
    sets = [a for s in QUICK_SETS + [f"train.out_dir={out}"] for a in ("--set", s)]
    run_cli("train", "--config", REPO / "configs" / "quickstart.toml", *sets, "--overwrite")
    return out


@pytest.fixture(scope="session")
def trained_lm(cli, tmp_path_factory):
    """A tiny spiking_ssm_lm trained by the CLI on Debian's King James Bible (byte tokens)."""
    out = tmp_path_factory.mktemp("lm")
    run_cli("train", "--config", REPO / "configs" / "lm" / "bible_ssm.toml", "--overwrite",
            *[a for s in [f"train.out_dir={out}", "train.max_steps=40", "lm.tokenizer=byte",
                          "model.n_layers=1", "model.d_model=32", "model.d_state=8",
                          "lm.context=64", "train.batch_size=8", "train.max_minutes=0"]
              for a in ("--set", s)])
    return out
