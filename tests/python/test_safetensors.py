"""Flat weights as safetensors: spikessm.save_safetensors / read / load round trip, the CLI's
export/import of the same files, and (in the peer venv) the reference `safetensors` reader
and writer agreeing with ours."""
import json

import pytest
import torch

import spikessm
from conftest import run_cli


def small_classifier():
    return spikessm.nn.Classifier(None, {"kind": "signal", "d_input": 2, "n_classes": 3},
                                  overrides={"model.d_model": 8, "model.d_state": 4,
                                             "model.n_layers": 2, "model.norm": "batch"})


def test_round_trip_and_names(tmp_path):
    torch.manual_seed(0)
    model = small_classifier().eval()
    path = tmp_path / "m.safetensors"
    spikessm.save_safetensors(model, path)
    tensors, meta = spikessm.read_safetensors(path)
    assert list(tensors) == list(model.state_dict())  # the state-dict names, in order
    assert "blocks.0.s4d.log_dt" in tensors and "blocks.1.norm.num_batches_tracked" in tensors
    assert tensors["blocks.1.norm.num_batches_tracked"].dtype == torch.int64
    for k, v in model.state_dict().items():
        assert torch.equal(tensors[k], v), k
    assert meta["format"] == "pt" and meta["spikessm.family"] == "classifier"
    assert json.loads(meta["spikessm.model_input"]) == model.model_input
    assert spikessm.make_config(meta["spikessm.config"]) == model.config_toml

    other = spikessm.nn.Classifier(meta["spikessm.config"],
                                   json.loads(meta["spikessm.model_input"])).eval()
    x = torch.randn(3, 10, 2)
    with torch.no_grad():
        other.load_state_dict({k: torch.zeros_like(v) for k, v in other.state_dict().items()})
        spikessm.load_safetensors(other, path)
        assert torch.equal(other(x), model(x))


def test_plain_dicts_and_refusals(tmp_path):
    tensors = {"a": torch.arange(6, dtype=torch.float64).view(2, 3), "b": torch.tensor(3.5),
               "c": torch.zeros(0, 4), "d": torch.tensor([True, False]),
               "e": torch.arange(4, dtype=torch.int32)}
    path = tmp_path / "plain.safetensors"
    spikessm.save_safetensors(tensors, path, {"note": "hand-made"})
    back, meta = spikessm.read_safetensors(path)
    assert meta == {"format": "pt", "note": "hand-made"}
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and torch.equal(back[k], v), k
    data = path.read_bytes()
    for bad, msg in [(data[:7], "shorter than 8 bytes"), (data[:-1], "bytes of data"),
                     (b"\xff" * 8 + data[8:], "exceeds"),
                     (data[:8] + b"[" + data[9:], "header is not JSON"),
                     ((8).to_bytes(8, "little") + b"[]      ", "not a JSON object")]:
        (tmp_path / "bad.safetensors").write_bytes(bad)
        with pytest.raises(ValueError, match=msg):
            spikessm.read_safetensors(tmp_path / "bad.safetensors")


def test_cli_export_and_import(trained_run, tmp_path):
    ckpt = trained_run / "checkpoint.pt"
    run_cli("export", "--format", "safetensors", "--checkpoint", ckpt, "--out",
            tmp_path / "w.safetensors")
    model = spikessm.load(ckpt)
    tensors, meta = spikessm.read_safetensors(tmp_path / "w.safetensors")
    assert set(tensors) == set(model.state_dict()) and meta["spikessm.step"] == "20"
    for k, v in model.state_dict().items():
        assert torch.equal(tensors[k], v), k
    # Python edits the weights; the CLI imports them into the run's model and writes a checkpoint.
    with torch.no_grad():
        model.decoder.bias.add_(1.0)
    spikessm.save_safetensors(model, tmp_path / "edited.safetensors")
    (tmp_path / "imported").mkdir()
    run_cli("import", "--format", "safetensors", "--in", tmp_path / "edited.safetensors",
            "--checkpoint", ckpt, "--out", tmp_path / "imported" / "checkpoint.pt")
    back = spikessm.load(tmp_path / "imported" / "checkpoint.pt")
    for k, v in model.state_dict().items():
        assert torch.equal(back.state_dict()[k], v), k


def test_reference_library_agrees(tmp_path):
    st = pytest.importorskip("safetensors.numpy",
                             reason="the reference safetensors is in the peer venv only")
    import numpy as np
    torch.manual_seed(1)
    model = small_classifier()
    spikessm.save_safetensors(model, tmp_path / "ours.safetensors")
    theirs = st.load_file(str(tmp_path / "ours.safetensors"))
    assert set(theirs) == set(model.state_dict())
    for k, v in model.state_dict().items():
        assert np.array_equal(theirs[k], v.numpy()), k
    arrays = {"x": np.arange(12, dtype=np.float32).reshape(3, 4), "y": np.array([1, 2], np.int64)}
    st.save_file(arrays, str(tmp_path / "theirs.safetensors"), metadata={"k": "v"})
    back, meta = spikessm.read_safetensors(tmp_path / "theirs.safetensors")
    assert meta == {"k": "v"}
    for k, v in arrays.items():
        assert np.array_equal(back[k].numpy(), v)
