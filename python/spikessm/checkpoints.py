"""Checkpoints shared with the command line: ``load`` what ``spikessm train`` wrote, ``save``
what ``spikessm eval``, ``train --resume``, ``export`` and ``report`` read."""
import json
import os

from . import _C
from .config import make_config
from .nn.models import Classifier, LanguageModel


def load(path, overrides=None):
    """The trained model of a checkpoint, of any family, in eval mode.

    Returns a spikessm.nn.Classifier or spikessm.nn.LanguageModel (with its ``tokenizer``)
    built by the library's load_trained_model, so its outputs are those of ``spikessm eval``.
    overrides: {"data.dir": ..., ...} applied to the saved config, as ``--set``.
    """
    sets = [f"{k}={v}" for k, v in (overrides or {}).items()]
    t = _C.load_trained(os.fspath(path), sets)
    if t.lm is not None:
        m = LanguageModel(t.config_toml, _cpp=t.lm, tokenizer=t.tokenizer)
    else:
        m = Classifier(t.config_toml, t.model_input, _cpp=t.classifier)
    m.step_count = t.step
    m.checkpoint_path = t.path
    return m.eval()


def save(module, path, step=None, config_file=True):
    """Write ``module`` (a spikessm.nn.Classifier or LanguageModel) as a CLI checkpoint.

    The file holds the weights, the module's config and model input, ``step`` (default: the
    step it was loaded at, else 0) and an optimizer state over the trainer's parameter groups
    with no moments, so ``spikessm train --config <dir>/config.toml --resume`` continues from
    these weights at ``step``. config_file: also write ``<dir>/config.toml``. A language
    model's tokenizer is written next to the checkpoint.
    """
    if not isinstance(module, (Classifier, LanguageModel)):
        raise TypeError("spikessm.save: expected a spikessm.nn.Classifier or LanguageModel, got "
                        f"{type(module).__name__}")
    path = os.fspath(path)
    if step is None:
        step = getattr(module, "step_count", 0)
    model_input = json.dumps(module.model_input) if isinstance(module, Classifier) else ""
    tokenizer = getattr(module, "tokenizer", None)
    _C.save_checkpoint(path, module.cpp, module.config_toml, model_input, int(step), tokenizer)
    if config_file:
        cfg = os.path.join(os.path.dirname(path) or ".", "config.toml")
        tmp = cfg + ".tmp"
        with open(tmp, "w") as f:
            f.write(module.config_toml)
        os.replace(tmp, cfg)


def evaluate(path, overrides=None):
    """``spikessm eval`` as a call: (the printed report, the ``--json`` statistics as a dict)."""
    sets = [f"{k}={v}" for k, v in (overrides or {}).items()]
    return _C.evaluate_checkpoint(os.fspath(path), sets)


def load_test_split(config, overrides=None):
    """The test split the config's task reads (as eval does): (x, y, model_input)."""
    return _C.load_test_split(make_config(config, overrides))


def save_safetensors(module, path, metadata=None):
    """Write a module's ``state_dict()`` (or a dict of tensors) as a safetensors file.

    Tensor names are the state-dict keys (for the library's models, the checkpoint names:
    ``blocks.0.s4d.log_dt``). Metadata: ``format = "pt"``; for a spikessm.nn.Classifier or
    LanguageModel also ``spikessm.config`` (the TOML), ``spikessm.family`` and, for a
    classifier, ``spikessm.model_input`` (JSON), the same keys ``spikessm export --format
    safetensors`` writes; then ``metadata`` (str -> str).
    """
    import torch
    sd = module.state_dict() if isinstance(module, torch.nn.Module) else dict(module)
    meta = {"format": "pt"}
    if isinstance(module, (Classifier, LanguageModel)):
        meta["spikessm.config"] = module.config_toml
        meta["spikessm.family"] = module.family if isinstance(module, LanguageModel) else \
            _C.config_family(module.config_toml)
        if isinstance(module, Classifier):
            meta["spikessm.model_input"] = json.dumps(module.model_input)
    meta.update(metadata or {})
    _C.write_safetensors(os.fspath(path), list(sd.items()), meta)


def read_safetensors(path):
    """The tensors of a safetensors file (a dict, in file order) and its metadata (a dict)."""
    tensors, metadata = _C.read_safetensors(os.fspath(path))
    return dict(tensors), metadata


def load_safetensors(module, path, strict=True):
    """Copy a safetensors file's tensors into ``module`` (``load_state_dict``); returns the
    file's metadata."""
    tensors, metadata = read_safetensors(path)
    module.load_state_dict(tensors, strict=strict)
    return metadata
