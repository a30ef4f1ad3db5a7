"""torch.nn.Module views of the library's C++ modules.

A view registers the C++ module's own parameter and buffer tensors (not copies) under the
C++ names, and one view per C++ child, so ``state_dict()`` keys are the checkpoint's
(``blocks.0.s4d.log_dt``), an optimizer over ``parameters()`` trains the C++ module, and
``load_state_dict``, ``.double()``, ``.train()`` / ``.eval()`` reach it.
"""
import torch


def _as_parameter(t):
    # The C++ tensor itself, seen as an nn.Parameter: nn.Parameter(t) would make a new tensor
    # sharing storage, and the C++ forward would accumulate gradients in the old one.
    if type(t) is torch.Tensor:
        t.__class__ = torch.nn.Parameter
    return t


class CppModule(torch.nn.Module):
    """A view of a C++ module (``spikessm._C.CppModule`` or one of its subclasses)."""

    def __init__(self, cpp):
        super().__init__()
        self._cpp = cpp
        for name, t in cpp.named_parameters():
            self._parameters[name] = _as_parameter(t)
        for name, t in cpp.named_buffers():
            self._buffers[name] = t
        for name, child in cpp.named_children():
            self._modules[name] = CppModule(child)

    @property
    def cpp(self):
        """The bound C++ module."""
        return self._cpp

    def forward(self, *args):
        return self._cpp.forward(*args)

    def train(self, mode=True):
        self._cpp.train(mode)
        return super().train(mode)

    def _apply(self, fn):
        # nn.Module converts parameters in place (set_data) but replaces buffers; the C++
        # module keeps its buffer objects, so their data is set from the converted ones.
        before = dict(self._buffers)
        super()._apply(fn)
        for name, old in before.items():
            new = self._buffers[name]
            if old is not None and new is not old:
                old.data = new
                self._buffers[name] = old
        return self

    def extra_repr(self):
        return f"C++ {self._cpp.type_name}"
