"""Weights trained with the official SpikingSSM code (shenshuaijie/SDN on state-spaces/s4).

``from_official(state_dict, prenorm=...)`` reads the state dict the s4 trainer saves for a
``model._name_: spikingssm`` classifier (a Lightning checkpoint or its ``state_dict``), builds
the spikessm classifier with the same configuration and copies the converted tensors in, so
that both give the same logits. Every name and shape is checked; anything that does not map
raises one ``OfficialWeightsError`` naming the key and what was expected.

Name and parameterisation map (layer i; official prefix ``model.s4_layers.i.``):

  official                                  spikessm (``blocks.i.``)
  kernel.log_dt (H)                          s4d.log_dt (H)              dt = exp(.)
  kernel.inv_dt (H, 1)       [trainable_B]   s4d.log_dt (H)              dt = exp(.)
  kernel.log_A_real (H, N/2)                 s4d.log_a_real              Re A = -exp(.)
  kernel.A_real (H, N/2)     [trainable_B]   s4d.log_a_real              Re A = -exp(.)
  kernel.A_imag (H, N/2)                     s4d.a_imag                  Im A = +(.)
  kernel.A_imag (H, N/2)     [trainable_B]   s4d.a_imag = -(.)           Im A = -(.) in s4
  kernel.C (C, H, N/2, 2)                    s4d.c                       (re, im) pairs
  kernel.B (1, H, N/2, 2)    [trainable_B]   s4d.b (H, N/2, 2)
  D (1, H)                                   s4d.d (H)
  ln_vth (H, 1) or (1)                       ln_vth (H)                  input / exp(ln_vth)
  output_linear.0.weight (2H, H, 1), bias    mix.weight (2H, H), bias    then GLU
  neuron.model.conv{1,2,3}.{weight,bias}     sdn_w1, sdn_b1, ... sdn_b3  the SDN network
  model.norms.i.*             [prenorm]      norm.*
  encoder.0.weight, bias                     encoder.weight, bias        Linear or Embedding
  decoder.0.output_transform.weight, bias    decoder.weight, bias        after mean pooling
  decoder.0.retrieval.classifier.0.*         retrieval_mlp.*             nli features reordered
  decoder.0.retrieval.classifier.2.*         decoder.*                   (AAN)
"""
import os
import pickle
import re
import types
from collections.abc import Mapping

import torch

from .nn.models import Classifier

__all__ = ["OfficialWeightsError", "from_official", "read_official_state_dict",
           "official_config"]

_LAYER = re.compile(r"^model\.s4_layers\.(\d+)\.(.+)$")
_SDN = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight",
        "conv3.bias")
_RETRIEVAL = "decoder.0.retrieval.classifier."  # s4's RetrievalDecoder (AAN), nli head
_LAYER_NORM_KEYS = ("weight", "bias")
_BATCH_NORM_KEYS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


class OfficialWeightsError(ValueError):
    """An official state dict that does not map onto a spikessm model (the message names the
    key and what was expected)."""


class _Unavailable:
    """Stands in for a class the checkpoint names but this Python cannot import (the s4
    trainer pickles its OmegaConf hyperparameters next to the weights); tensors never need it."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


class _TolerantUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return _Unavailable


_TOLERANT_PICKLE = types.SimpleNamespace(__name__="pickle", Unpickler=_TolerantUnpickler,
                                         load=pickle.load)


def _torch_load(path):
    try:
        return torch.load(path, map_location="cpu")
    except (ImportError, AttributeError):
        pass  # a class this Python lacks, typically omegaconf's: retry without it
    # torch 1.13's torch.load ignores its pickle_module argument, so read the zip one level
    # down, where the unpickler is honoured.
    ser = torch.serialization
    with ser._open_file_like(path, "rb") as f, ser._open_zipfile_reader(f) as z:
        return ser._load(z, "cpu", _TOLERANT_PICKLE, encoding="utf-8")


def _norm_kind(sd):
    return "batch" if "model.norms.0.running_mean" in sd else "layer"


def read_official_state_dict(source):
    """The official tensors as a flat {name: tensor} dict.

    source: a path to a ``torch.save`` file (a Lightning checkpoint with ``state_dict``, or the
    state dict itself) or a mapping of either form. Classes the file names but this Python
    cannot import (the trainer's OmegaConf hyperparameters) are skipped, not needed. A torch.save
    file is a pickle: read only files you trust. Keys are named as the s4 trainer names
    them: ``model.s4_layers.*``, ``model.norms.*``, ``encoder.0.*``, ``decoder.0.*``.
    """
    if isinstance(source, (str, os.PathLike)):
        try:
            source = _torch_load(os.fspath(source))
        except Exception as e:  # any unreadable file: one clear line
            raise OfficialWeightsError(f"{os.fspath(source)}: cannot read a torch.save file "
                                       f"({type(e).__name__}: {e})") from None
    if not isinstance(source, Mapping):
        raise OfficialWeightsError("expected a state dict (a mapping of names to tensors) or a "
                                   f"checkpoint holding one, got {type(source).__name__}")
    if "state_dict" in source and isinstance(source["state_dict"], Mapping):
        source = source["state_dict"]
    out = {}
    for k, v in source.items():
        if not isinstance(k, str) or not torch.is_tensor(v):
            raise OfficialWeightsError(f"state dict entry {k!r}: expected a tensor under a "
                                       f"string name, got {type(v).__name__}")
        out[k] = v.detach().cpu()
    return out


def _get(sd, key, shape, used):
    if key not in sd:
        raise OfficialWeightsError(f"missing key '{key}' (expected shape {tuple(shape)})")
    t = sd[key]
    if tuple(t.shape) != tuple(shape):
        raise OfficialWeightsError(f"'{key}': expected shape {tuple(shape)}, got "
                                   f"{tuple(t.shape)}")
    used.add(key)
    return t


def _shape_of(sd, key, dims, what):
    if key not in sd:
        raise OfficialWeightsError(f"missing key '{key}' ({what})")
    t = sd[key]
    if t.dim() != dims:
        raise OfficialWeightsError(f"'{key}': expected {dims} dimensions ({what}), got shape "
                                   f"{tuple(t.shape)}")
    return tuple(t.shape)


def official_config(sd, prenorm, neuron=None):
    """The spikessm overrides and model input of an official state dict (read from its names
    and shapes; ``prenorm`` is not visible in the weights and must be given)."""
    layers = sorted({int(m.group(1)) for m in map(_LAYER.match, sd) if m})
    if not layers:
        raise OfficialWeightsError("no 'model.s4_layers.<i>.*' keys: not the state dict of an "
                                   "official SpikingSSM classifier (model._name_: spikingssm)")
    if layers != list(range(len(layers))):
        raise OfficialWeightsError(f"layer indices {layers}: expected 0..{len(layers) - 1}")
    p = "model.s4_layers.0."
    ch, H = _shape_of(sd, p + "D", 2, "(channels, d_model)")
    if ch != 1:
        raise OfficialWeightsError(f"'{p}D': shape {(ch, H)} has SS4D channels = {ch}; only "
                                   "channels = 1 maps (one output per feature)")
    trainable_b = p + "kernel.B" in sd
    c_shape = _shape_of(sd, p + "kernel.C", 4, "(channels, d_model, d_state/2, 2)")
    if c_shape[0] not in (1, 2) or c_shape[1] != H or c_shape[3] != 2:
        raise OfficialWeightsError(f"'{p}kernel.C': expected shape (1 or 2, {H}, N/2, 2), got "
                                   f"{c_shape}")
    has_sdn = p + "neuron.model.conv1.weight" in sd
    if neuron is None:
        neuron = "sdn" if has_sdn else "bptt"
    if neuron not in ("sdn", "bptt", "sltt"):
        raise OfficialWeightsError(f"neuron '{neuron}': expected sdn, bptt or sltt (the "
                                   "official neuron registry)")
    if (neuron == "sdn") != has_sdn:
        raise OfficialWeightsError(
            f"neuron '{neuron}': the state dict {'has' if has_sdn else 'has no'} SDN network "
            f"('{p}neuron.model.conv1.weight'); the official SDN neuron carries one, the LIF "
            "neurons (bptt, sltt) none")
    norm = _norm_kind(sd)
    enc_w = _shape_of(sd, "encoder.0.weight", 2, "the s4 pipeline's linear or embedding "
                      "encoder")
    tokens = "encoder.0.bias" not in sd  # nn.Embedding has no bias, nn.Linear has one
    retrieval = _RETRIEVAL + "0.weight" in sd
    if retrieval:
        if _RETRIEVAL + "4.weight" in sd:
            raise OfficialWeightsError(f"'{_RETRIEVAL}4.weight': s4's retrieval head with "
                                       "nli = false does not map (spikessm has the nli head)")
        if not tokens:
            raise OfficialWeightsError("'encoder.0.bias': a retrieval model reads token ids "
                                       "(an embedding encoder, which has no bias)")
        dec_w = _shape_of(sd, _RETRIEVAL + "2.weight", 2, "the nli head's output layer")
    else:
        dec_w = _shape_of(sd, "decoder.0.output_transform.weight", 2,
                          "the s4 pipeline's sequence decoder, mode pool")
    overrides = {
        "model.family": "classifier", "model.block": "spiking_ssm",
        "model.n_layers": len(layers), "model.d_model": H, "model.d_state": 2 * c_shape[2],
        "model.bidirectional": c_shape[0] == 2, "model.trainable_b": trainable_b,
        "model.learnable_vth": p + "ln_vth" in sd, "model.neuron": neuron,
        # The official neurons: tau 0.125, v_th 1, reset to 0, surrogate max(0, 1 - |x|).
        "model.tau": 0.125, "model.v_th": 1.0, "model.reset": "hard",
        "model.surrogate": "triangle",
        # Post-norm in the official code normalises a copy that is then discarded: no norm.
        "model.norm": norm if prenorm else "none", "model.prenorm": bool(prenorm),
        "model.encoder": "embedding" if tokens else "linear",
    }
    d_input = enc_w[0] if tokens else enc_w[1]
    kind = "token_pairs" if retrieval else "tokens" if tokens else "signal"
    model_input = {"kind": kind, "d_input": d_input,
                   "n_classes": dec_w[0], "image": []}
    return overrides, model_input


def _convert(sd, overrides, model_input):
    """{spikessm name: tensor} from the official tensors; every official key is consumed or
    named in an error."""
    used, out = set(), {}
    L, H = overrides["model.n_layers"], overrides["model.d_model"]
    n2, C = overrides["model.d_state"] // 2, 2 if overrides["model.bidirectional"] else 1
    for i in range(L):
        p, q = f"model.s4_layers.{i}.", f"blocks.{i}."
        out[q + "s4d.d"] = _get(sd, p + "D", (1, H), used)[0]
        out[q + "s4d.c"] = _get(sd, p + "kernel.C", (C, H, n2, 2), used)
        if overrides["model.trainable_b"]:
            # s4's SSMKernelDiag: dt = exp(inv_dt), A = -exp(A_real) - i A_imag.
            out[q + "s4d.log_dt"] = _get(sd, p + "kernel.inv_dt", (H, 1), used)[:, 0]
            out[q + "s4d.log_a_real"] = _get(sd, p + "kernel.A_real", (H, n2), used)
            out[q + "s4d.a_imag"] = -_get(sd, p + "kernel.A_imag", (H, n2), used)
            out[q + "s4d.b"] = _get(sd, p + "kernel.B", (1, H, n2, 2), used)[0]
        else:
            # The official S4DKernel: dt = exp(log_dt), A = -exp(log_A_real) + i A_imag.
            out[q + "s4d.log_dt"] = _get(sd, p + "kernel.log_dt", (H,), used)
            out[q + "s4d.log_a_real"] = _get(sd, p + "kernel.log_A_real", (H, n2), used)
            out[q + "s4d.a_imag"] = _get(sd, p + "kernel.A_imag", (H, n2), used)
        if overrides["model.learnable_vth"]:
            key = p + "ln_vth"
            shape = tuple(sd[key].shape) if key in sd else (H, 1)
            shape = (1,) if shape == (1,) else (H, 1)  # shared_vth: one threshold
            out[q + "ln_vth"] = _get(sd, key, shape, used).reshape(-1).expand(H).clone()
        else:
            out[q + "ln_vth"] = torch.zeros(H)  # fixed v_th = 1
        out[q + "mix.weight"] = _get(sd, p + "output_linear.0.weight", (2 * H, H, 1), used)[..., 0]
        out[q + "mix.bias"] = _get(sd, p + "output_linear.0.bias", (2 * H,), used)
        if overrides["model.neuron"] == "sdn":
            s = p + "neuron.model."
            w = [_get(sd, s + k, shape, used) for k, shape in zip(
                _SDN, [(8, 1, 8), (8,), (8, 8, 1), (8,), (1, 8, 1), (1,)])]
            out[q + "sdn_w1"], out[q + "sdn_b1"] = w[0][:, 0, :], w[1]
            out[q + "sdn_w2"], out[q + "sdn_b2"] = w[2][..., 0], w[3]
            out[q + "sdn_w3"], out[q + "sdn_b3"] = w[4][0, :, 0], w[5]
        keys = _BATCH_NORM_KEYS if _norm_kind(sd) == "batch" else _LAYER_NORM_KEYS
        for k in keys:
            shape = () if k == "num_batches_tracked" else (H,)
            t = _get(sd, f"model.norms.{i}.{k}", shape, used)
            if overrides["model.prenorm"]:
                out[q + "norm." + k] = t
    if model_input["kind"] in ("tokens", "token_pairs"):
        out["encoder.weight"] = _get(sd, "encoder.0.weight", (model_input["d_input"], H), used)
    else:
        out["encoder.weight"] = _get(sd, "encoder.0.weight", (H, model_input["d_input"]), used)
        out["encoder.bias"] = _get(sd, "encoder.0.bias", (H,), used)
    K = model_input["n_classes"]
    if model_input["kind"] == "token_pairs":
        # s4's nli features are [u, v, u - v, u * v]; spikessm's [u, v, u * v, u - v].
        w = _get(sd, _RETRIEVAL + "0.weight", (H, 4 * H), used)
        out["retrieval_mlp.weight"] = torch.cat([w[:, :2 * H], w[:, 3 * H:], w[:, 2 * H:3 * H]],
                                                1)
        out["retrieval_mlp.bias"] = _get(sd, _RETRIEVAL + "0.bias", (H,), used)
        out["decoder.weight"] = _get(sd, _RETRIEVAL + "2.weight", (K, H), used)
        out["decoder.bias"] = _get(sd, _RETRIEVAL + "2.bias", (K,), used)
    else:
        out["decoder.weight"] = _get(sd, "decoder.0.output_transform.weight", (K, H), used)
        out["decoder.bias"] = _get(sd, "decoder.0.output_transform.bias", (K,), used)
    extra = sorted(set(sd) - used)
    if extra:
        raise OfficialWeightsError(
            f"unexpected key '{extra[0]}'" + (f" (and {len(extra) - 1} more)" if len(extra) > 1
                                              else "") +
            ": not part of a mapped official configuration (SpikingSSM backbone with SS4D "
            "layers, s4's linear or embedding encoder, pooling sequence or retrieval decoder)")
    return out


def from_official(source, prenorm, neuron=None, overrides=None):
    """A spikessm ``Classifier`` (eval mode) with the weights of an official SpikingSSM model.

    source: path to a ``torch.save`` file or a state dict (see read_official_state_dict).
    prenorm: the official ``model.prenorm`` (True: norm before each layer; False: the official
      post-norm, whose result the official code discards, so no norm is applied).
    neuron: the official ``layer.neuron``; default: "sdn" when the state dict holds the SDN
      network, else "bptt" ("bptt" and "sltt" differ only in training).
    overrides: further spikessm config keys (e.g. {"model.mix_kernel": "dense"}); keys that fix
      the mapped architecture cannot be overridden.

    The norm kind, sizes, bidirectionality, trainable B, shared or learnable threshold, the
    encoder (linear for signals, embedding for token ids) and the decoder (pooling, or AAN's
    retrieval head) are read from the names and shapes. Inputs: (B, L, d_input) signals;
    (B, L) ids padded with 0 at the end; retrieval: (B, 2, L) =
    ``torch.stack([first_docs, second_docs], 1)`` where s4 concatenates them along the batch.
    """
    sd = read_official_state_dict(source)
    mapped, model_input = official_config(sd, prenorm, neuron)
    for k in (overrides or {}):
        if k in mapped:
            raise OfficialWeightsError(f"override '{k}': fixed by the official weights "
                                       f"(= {mapped[k]!r})")
    converted = _convert(sd, mapped, model_input)
    model = Classifier(None, model_input, {**mapped, **(overrides or {})})
    own = model.state_dict()
    for k, t in own.items():
        if k not in converted:
            raise OfficialWeightsError(f"spikessm parameter '{k}' (shape {tuple(t.shape)}) has "
                                       "no official counterpart")
        if tuple(converted[k].shape) != tuple(t.shape):
            raise OfficialWeightsError(f"'{k}': converted shape {tuple(converted[k].shape)}, "
                                       f"spikessm expects {tuple(t.shape)}")
    for k in converted:
        if k not in own:
            raise OfficialWeightsError(f"converted key '{k}' is not a spikessm parameter")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in converted.items()})
    return model.eval()
