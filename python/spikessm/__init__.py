"""spikessm: spiking state space models on the CPU, from Python.

The package binds the spikessm C++ library (the same code as the ``spikessm`` command line):

- ``spikessm.ops`` / ``spikessm.functional``: the neuron and state space ops, registered as
  PyTorch operators (``torch.ops.spikessm.*``, usable under TorchScript) with autograd;
- ``spikessm.nn``: ``torch.nn.Module`` views of the library's modules, whose parameters are
  the C++ modules' own tensors (``state_dict()``, optimizers and ``.double()`` work on them);
- ``spikessm.load`` / ``spikessm.save`` / ``spikessm.evaluate``: checkpoints shared with the CLI;
- ``spikessm.from_official``: weights trained with the official SpikingSSM PyTorch code.

All sequence tensors use the (B, L, D) layout: batch, time, features.
"""

import torch  # first: the extension links this very LibTorch

from ._isa_check import check_cpu as _check_cpu

_check_cpu()  # before the extension, whose code needs the instruction set it was built for
from . import _C
from . import ops, functional, nn
from .config import make_config
from .checkpoints import (load, save, evaluate, load_test_split, save_safetensors,
                          read_safetensors, load_safetensors)
from .generate import TokenStream
from . import official
from .official import from_official, OfficialWeightsError

__all__ = ["ops", "functional", "nn", "make_config", "load", "save", "evaluate",
           "load_test_split", "save_safetensors", "read_safetensors",
           "load_safetensors", "TokenStream", "keep_freed_memory", "set_threads", "official",
           "from_official", "OfficialWeightsError"]


def set_threads(n=0):
    """Intra-op threads as the CLI's ``--threads N`` (0: every core, the CLI's default).

    PyTorch may start with fewer threads than cores; results of matrix products and
    reductions depend on the thread count, so match it to reproduce a CLI run bit for bit.
    OpenBLAS's own pool, which torch.set_num_threads does not reach, is set to the same count.
    ``n`` is an int in [0, 256], the range of ``train.threads``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 256:
        raise ValueError(f"set_threads: n must be an int in [0, 256] (0: every core), got {n!r}")
    _C.set_threads(n)


def keep_freed_memory():
    """Set glibc's allocator as the spikessm CLI does: freed big buffers are kept for reuse.

    On machines where fresh pages are slow this speeds up training loops several times
    (docs/python.md); it affects the whole process, so it is not done on import.
    """
    _C.keep_freed_memory()
