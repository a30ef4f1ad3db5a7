"""spikessm.from_official against the official SpikingSSM code (shenshuaijie/SDN on
state-spaces/s4): the fixture holds state dicts, inputs, logits and spike counts that the
official code itself produced (tests/python/make_official_fixture.py); the converted spikessm
models must give the same logits and fire the same spikes, and bad state dicts must raise one
OfficialWeightsError naming the key."""
import json
import pathlib
import sys
import tomllib
import types

import pytest
import torch

import spikessm
from spikessm.official import OfficialWeightsError
from official_compare import compare

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "official_sdn"
CASES = sorted(p.stem for p in FIXTURES.glob("*.safetensors"))


def test_fixture_present():
    # One case per mapped official configuration family (see make_official_fixture.py).
    assert set(CASES) == {"psmnist_sdn", "pathx_sdn_trainable_b", "lif_bptt_bidirectional",
                          "lif_sltt_batch_fixed_vth", "listops_tokens", "aan_pairs"}


@pytest.mark.parametrize("case", CASES)
def test_logits_equal_official(case):
    r = compare(FIXTURES / f"{case}.safetensors")
    assert all(n > 0 for n in r["spikes_official"]), "every layer of the fixture fires"
    assert r["spikes_ours"] == r["spikes_official"]
    assert r["max_abs32"] < 1e-5, r
    if r["max_abs64"] is not None:  # the float64 twins: no rounding left to hide behind
        assert r["max_abs64"] < 1e-10, r


def _official(case):
    tensors, meta = spikessm.read_safetensors(FIXTURES / f"{case}.safetensors")
    sd = {k[len("state/"):]: v for k, v in tensors.items() if k.startswith("state/")}
    return sd, json.loads(meta["official"])


def test_config_read_from_shapes():
    sd, spec = _official("pathx_sdn_trainable_b")
    model = tomllib.loads(spikessm.from_official(sd, prenorm=True).config_toml)["model"]
    assert {k: model[k] for k in ("n_layers", "d_model", "d_state", "bidirectional",
                                  "trainable_b", "neuron", "norm", "prenorm")} == {
        "n_layers": 2, "d_model": 8, "d_state": 8, "bidirectional": True, "trainable_b": True,
        "neuron": "sdn", "norm": "batch", "prenorm": True}
    # Post-norm: the official code discards the norm's output, so no norm is built.
    sd, _ = _official("psmnist_sdn")
    model = tomllib.loads(spikessm.from_official(sd, prenorm=False).config_toml)["model"]
    assert (model["norm"], model["bidirectional"], model["trainable_b"]) == ("none", False, False)


def test_reads_lightning_checkpoint_file(tmp_path):
    sd, spec = _official("lif_bptt_bidirectional")
    path = tmp_path / "last.ckpt"
    torch.save({"epoch": 3, "state_dict": sd}, path)
    tensors, _ = spikessm.read_safetensors(FIXTURES / "lif_bptt_bidirectional.safetensors")
    m = spikessm.from_official(str(path), prenorm=True, neuron="bptt")
    with torch.no_grad():
        assert (m(tensors["input"]) - tensors["logits"]).abs().max().item() < 1e-5


def test_reads_checkpoint_with_unimportable_classes(tmp_path, monkeypatch):
    # The s4 trainer pickles its OmegaConf hyperparameters next to the weights; Debian's
    # Python has no omegaconf. A class of a module that is gone when loading stands in for it.
    stub = types.ModuleType("trainer_config_stub")

    class DictConfig:
        def __init__(self):
            self.content = {"model": {"prenorm": True}}

    DictConfig.__module__, DictConfig.__qualname__ = stub.__name__, "DictConfig"
    stub.DictConfig = DictConfig
    monkeypatch.setitem(sys.modules, stub.__name__, stub)
    sd, _ = _official("lif_bptt_bidirectional")
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": sd, "hyper_parameters": DictConfig()}, path)
    monkeypatch.delitem(sys.modules, stub.__name__)
    with pytest.raises(ImportError):
        torch.load(path)
    tensors, _ = spikessm.read_safetensors(FIXTURES / "lif_bptt_bidirectional.safetensors")
    m = spikessm.from_official(str(path), prenorm=True)
    with torch.no_grad():
        assert (m(tensors["input"]) - tensors["logits"]).abs().max().item() < 1e-5


def _raises(sd, match, **kw):
    kw.setdefault("prenorm", True)
    with pytest.raises(OfficialWeightsError, match=match):
        spikessm.from_official(sd, **kw)


def test_missing_key():
    sd, _ = _official("pathx_sdn_trainable_b")
    del sd["model.s4_layers.1.kernel.B"]
    _raises(sd, r"missing key 'model\.s4_layers\.1\.kernel\.B' \(expected shape \(1, 8, 4, 2\)\)")
    sd, _ = _official("psmnist_sdn")
    del sd["decoder.0.output_transform.bias"]
    _raises(sd, r"missing key 'decoder\.0\.output_transform\.bias'", prenorm=False)


def test_wrong_shape():
    sd, _ = _official("psmnist_sdn")
    sd["model.s4_layers.1.output_linear.0.weight"] = torch.zeros(16, 8)
    _raises(sd, r"'model\.s4_layers\.1\.output_linear\.0\.weight': expected shape \(16, 8, 1\), "
                r"got \(16, 8\)", prenorm=False)
    sd, _ = _official("psmnist_sdn")
    sd["model.s4_layers.0.D"] = torch.zeros(2, 8)
    _raises(sd, r"channels = 2", prenorm=False)


def test_unexpected_key_and_neuron():
    sd, _ = _official("lif_bptt_bidirectional")
    sd["model.s4_layers.0.kernel.P"] = torch.zeros(1, 6, 2, 2)  # a DPLR (S4) kernel part
    _raises(sd, r"unexpected key 'model\.s4_layers\.0\.kernel\.P'")
    sd, _ = _official("lif_bptt_bidirectional")
    _raises(sd, r"neuron 'sdn': the state dict has no SDN network", neuron="sdn")
    sd, _ = _official("aan_pairs")
    sd["decoder.0.retrieval.classifier.4.weight"] = torch.zeros(2, 4)  # s4's nli = false head
    _raises(sd, r"nli = false does not map")
    _raises({"model.encoder.weight": torch.zeros(2)}, r"no 'model\.s4_layers")
    _raises({"model.s4_layers.0.D": "x"}, r"expected a tensor")


def test_unreadable_file(tmp_path):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    _raises(str(bad), r"bad\.ckpt: cannot read a torch\.save file")
    assert issubclass(OfficialWeightsError, ValueError)
