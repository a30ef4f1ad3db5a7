"""spikessm.set_threads sets torch's intra-op threads and OpenBLAS's own pool, which
torch.set_num_threads does not reach, as the CLI's --threads does."""
import ctypes
import os

import pytest
import torch

import spikessm


def openblas():
    try:
        lib = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD)
    except OSError:
        return None
    return lib if hasattr(lib, "openblas_get_num_threads") else None


def test_set_threads_reaches_openblas():
    lib = openblas()
    if lib is None:
        pytest.skip("this torch does not run on a loaded OpenBLAS")
    try:
        spikessm.set_threads(1)
        assert torch.get_num_threads() == 1
        assert lib.openblas_get_num_threads() == 1
        if (os.cpu_count() or 1) > 1:
            spikessm.set_threads(2)
            assert lib.openblas_get_num_threads() == 2
    finally:
        spikessm.set_threads()  # the suite's setting (conftest.py)
