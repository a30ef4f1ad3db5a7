"""Wrong inputs raise a Python exception carrying the library's one-line message; none crashes
the interpreter (each case also runs in a child process, so a crash fails the test)."""
import subprocess
import sys

import pytest
import torch

import spikessm
from spikessm import ops

f32, f64 = torch.float32, torch.float64
x3 = torch.randn(2, 5, 4)
meta = torch.empty(2, 5, 4, device="meta")

CASES = [
    # (description, call, expected start of the message)
    ("lif 2-D input", lambda: ops.lif_multistep(torch.randn(2, 3)), "[lif_multistep]"),
    ("lif int input", lambda: ops.lif_multistep(torch.ones(2, 3, 4, dtype=torch.int32)),
     "[lif_multistep]"),
    ("lif meta device", lambda: ops.lif_multistep(meta), "[lif_multistep]"),
    ("lif unknown surrogate", lambda: ops.lif_multistep(x3, surrogate="relu"),
     "[lif_multistep] surrogate"),
    ("lif unknown reset", lambda: ops.lif_multistep(x3, reset="sometimes"),
     "[lif_multistep] reset"),
    ("lif v0 shape", lambda: ops.lif_multistep(x3, v0=torch.zeros(3, 4)), "[lif_multistep] v0"),
    ("lif ln_vth dtype", lambda: ops.lif_multistep(x3, ln_vth=torch.zeros(4, dtype=f64)),
     "[lif_multistep] ln_vth"),
    ("lif negative alpha", lambda: ops.lif_multistep(x3, alpha=-1.0), "[lif_multistep]"),
    ("plif w shape", lambda: ops.plif_multistep(x3, torch.zeros(5), torch.ones(4)),
     "[plif_multistep]"),
    ("plif mixed dtypes", lambda: ops.plif_multistep(x3.double(), torch.zeros(4), torch.ones(4)),
     "[plif_multistep]"),
    ("selective_plif shapes", lambda: ops.selective_plif(x3, x3, x3, torch.ones(2, 5)),
     "[selective_plif]"),
    ("heaviside int", lambda: ops.heaviside_spike(torch.ones(3, dtype=torch.long)),
     "[heaviside_spike]"),
    ("ternary scale size", lambda: ops.ternary_spike(x3, torch.ones(2)), "[ternary_spike]"),
    ("ternary scope", lambda: ops.ternary_spike(x3, torch.ones(1), scope="batch"),
     "[ternary_spike] scope"),
    ("sdn float64", lambda: ops.sdn_predict(x3.double()), "[sdn_predict]"),
    ("diag_ssm w shape", lambda: ops.diag_ssm(x3, torch.zeros(1, 4, 2), torch.zeros(4, 2, 2),
                                              torch.zeros(4)), "[diag_ssm]"),
    ("vandermonde L", lambda: ops.s4d_vandermonde(torch.zeros(1, 4, 2, 2), torch.zeros(4, 2, 2),
                                                  0), "[s4d_vandermonde]"),
    ("fft_conv short circle", lambda: ops.fft_conv(x3, torch.zeros(4, 6), torch.zeros(4)),
     "[fft_conv]"),
    ("selective_scan beta", lambda: ops.selective_scan(x3, torch.rand(3)), "[selective_scan]"),
    ("selective_scan h0 device", lambda: ops.selective_scan(
        x3, torch.rand(4), torch.empty(2, 4, device="meta")), "[selective_scan]"),
    ("ndyn c shape", lambda: ops.ndyn_parallel(x3, torch.rand(3), torch.rand(2),
                                               torch.rand(3, 5)), "[ndyn_parallel]"),
    ("ndyn state shape", lambda: ops.ndyn_recurrent(x3, torch.rand(3), torch.rand(2),
                                                    torch.rand(3, 4), 1.0, torch.zeros(2, 2, 4)),
     "[ndyn_recurrent]"),
    ("spike_linear K", lambda: ops.spike_linear(torch.zeros(3, 5), torch.zeros(4, 6)),
     "[spike_linear]"),
    ("spike_linear float64", lambda: ops.spike_linear(torch.zeros(3, 4, dtype=f64),
                                                      torch.zeros(4, 6, dtype=f64)),
     "[spike_linear]"),
    ("mixing kernel name", lambda: ops.spike_mix_linear(torch.zeros(3, 4), torch.zeros(4, 6),
                                                        kernel="gpu"),
     "[spike_mix_linear] kernel"),
    ("S4D forward width", lambda: spikessm.nn.S4D(4, 8)(torch.randn(2, 5, 3)), "[S4D]"),
    ("S4D odd state", lambda: spikessm.nn.S4D(4, 7), "d_state"),
    ("block surrogate name", lambda: spikessm.nn.SpikingSSMBlock(4, 8, surrogate="step"),
     "SpikingSSMBlock: surrogate"),
    ("block unknown option", lambda: spikessm.nn.SpikingSSMBlock(4, 8, tua=0.5),
     "SpikingSSMBlock: unexpected keyword argument 'tua'"),
    ("config unknown key", lambda: spikessm.make_config(None, {"model.d_modle": 3}),
     "model.d_modle"),
    ("threads beyond train.threads' range", lambda: spikessm.set_threads(100000),
     "set_threads: n must be an int in [0, 256]"),
    ("threads not an int", lambda: spikessm.set_threads("2"),
     "set_threads: n must be an int in [0, 256]"),
    ("checkpoint missing", lambda: spikessm.load("/nonexistent/checkpoint.pt"),
     "/nonexistent/checkpoint.pt"),
]


@pytest.mark.parametrize("name,call,start", CASES, ids=[c[0] for c in CASES])
def test_one_line_python_exception(name, call, start):
    with pytest.raises((RuntimeError, ValueError, TypeError, IndexError)) as e:
        call()
    msg = str(e.value)
    assert "\n" not in msg.strip(), f"{name}: multi-line message:\n{msg}"
    assert start in msg, f"{name}: {msg!r}"
    assert "Exception raised from" not in msg  # no C++ backtrace


def test_wrong_inputs_do_not_crash_the_interpreter():
    # Every case in one child interpreter: a segfault or abort there fails this test.
    code = ("import sys; sys.path[:0] = %r\n"
            "import test_errors as t\n"
            "n = 0\n"
            "for name, call, start in t.CASES:\n"
            "    try:\n"
            "        call()\n"
            "    except (RuntimeError, ValueError, TypeError, IndexError):\n"
            "        n += 1\n"
            "print(n)\n") % (sys.path,)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.split()[-1]) == len(CASES)
