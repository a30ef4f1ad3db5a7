"""Our neurons against the peer libraries' (run in the venv of make_venv.sh, CTest
python_peers): SpikingJelly's LIFNode and ParametricLIFNode, snnTorch's Leaky. Spikes must be
bit-equal and input gradients within 1e-5 on the same inputs.

Conventions (docs/python.md, "Peers"):
- SpikingJelly LIFNode(tau, decay_input=False) is our LIF with tau_ours = 1 - 1/tau;
  decay_input=True is the same neuron fed x / tau. v_reset=0.0 is our hard reset, v_reset=None
  our soft reset; detach_reset and the Sigmoid/ATan surrogates (alpha) carry over.
- ParametricLIFNode(init_tau) is our PLIF with w_ours = -w (our beta = sigmoid(w_ours) is the
  decay, SpikingJelly's sigmoid(w) is 1/tau), one w broadcast over the channels.
- snnTorch Leaky(beta, threshold): reset_mechanism="subtract" called with an explicit membrane
  (init_hidden=False) is our soft reset; "zero" with init_hidden=True is our hard reset; both
  detach the reset. surrogate.atan(alpha), fast_sigmoid(slope), sigmoid(slope) map to ours.
"""
import itertools

import pytest
import torch

import spikessm.functional as F

sj = pytest.importorskip("spikingjelly.activation_based.neuron",
                         reason="SpikingJelly not installed (tests/python/make_venv.sh)")
snn = pytest.importorskip("snntorch", reason="snnTorch not installed (tests/python/make_venv.sh)")
from spikingjelly.activation_based import surrogate as sj_surrogate  # noqa: E402
from snntorch import surrogate as snn_surrogate  # noqa: E402

B, L, D = 4, 64, 32
SUMMARY = {"compared_spikes": 0, "max_grad_diff": 0.0, "cases": 0}


def inputs(dtype, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, L, D, generator=g, dtype=torch.float64) * 0.8 + 0.3
    w = torch.randn(B, L, D, generator=g, dtype=torch.float64)
    return x.to(dtype), w.to(dtype)


def run(fn, x, w):
    """Spikes of fn(x) and d(sum(w * spikes))/dx."""
    x = x.detach().clone().requires_grad_(True)
    s = fn(x)
    (dx,) = torch.autograd.grad((s.to(w.dtype) * w).sum(), [x])
    return s.detach(), dx


def check(ours, theirs, what):
    (s1, g1), (s2, g2) = ours, theirs
    assert torch.equal(s1.to(s2.dtype), s2), f"{what}: {int((s1 != s2).sum())} spikes differ"
    diff = (g1 - g2.to(g1.dtype)).abs().max().item()
    assert diff <= 1e-5, f"{what}: gradient differs by {diff}"
    SUMMARY["compared_spikes"] += s1.numel()
    SUMMARY["max_grad_diff"] = max(SUMMARY["max_grad_diff"], diff)
    SUMMARY["cases"] += 1


def time_first(module, x):
    """A multi-step SpikingJelly module on our (B, L, D) layout (it is (T, B, D))."""
    return module(x.transpose(0, 1)).transpose(0, 1)


SJ_SURROGATES = [("sigmoid", 4.0, lambda a: sj_surrogate.Sigmoid(alpha=a)),
                 ("atan", 2.0, lambda a: sj_surrogate.ATan(alpha=a))]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_spikingjelly_lif(dtype):
    cases = itertools.product([2.0, 4.0], [False, True], [0.0, None], [1.0, 0.5], SJ_SURROGATES,
                              [True, False])
    for i, (tau, decay_input, v_reset, v_th, (sg, alpha, make_sg), detach) in enumerate(cases):
        if decay_input and dtype == torch.float32:
            continue  # v + (x - v)/tau rounds differently from our form; compared in float64
        x, w = inputs(dtype, i)
        node = sj.LIFNode(tau=tau, decay_input=decay_input, v_threshold=v_th, v_reset=v_reset,
                          surrogate_function=make_sg(alpha), detach_reset=detach, step_mode="m")
        scale = 1.0 / tau if decay_input else 1.0
        ours = run(lambda x: F.lif(x * scale, tau=1.0 - 1.0 / tau, v_th=v_th,
                                   reset="hard" if v_reset is not None else "soft",
                                   surrogate=sg, alpha=alpha, detach_reset=detach), x, w)
        theirs = run(lambda x: time_first(node, x), x, w)
        check(ours, theirs, f"LIFNode tau={tau} decay_input={decay_input} v_reset={v_reset} "
                            f"v_th={v_th} {sg} detach={detach} {dtype}")


def test_spikingjelly_lif_any_tau_float32():
    # In float32 both compute v * float32(1 - 1/tau) + x: bit-equal for any tau.
    for i, tau in enumerate([1.5, 3.0, 10.0]):
        x, w = inputs(torch.float32, 100 + i)
        node = sj.LIFNode(tau=tau, decay_input=False, v_reset=0.0, step_mode="m",
                          surrogate_function=sj_surrogate.ATan(), detach_reset=True)
        check(run(lambda x: F.lif(x, tau=1.0 - 1.0 / tau, surrogate="atan", alpha=2.0), x, w),
              run(lambda x: time_first(node, x), x, w), f"LIFNode tau={tau}")


def test_spikingjelly_parametric_lif():
    dtype = torch.float64
    cases = itertools.product([2.0, 3.0], [True, False], [0.0, None], SJ_SURROGATES,
                              [False, True])
    for i, (init_tau, decay_input, v_reset, (sg, alpha, make_sg), detach) in enumerate(cases):
        x, w = inputs(dtype, 200 + i)
        node = sj.ParametricLIFNode(init_tau=init_tau, decay_input=decay_input, v_threshold=0.8,
                                    v_reset=v_reset, surrogate_function=make_sg(alpha),
                                    detach_reset=detach, step_mode="m").to(dtype)
        w_ours = (-node.w.detach()).expand(D).clone().requires_grad_(True)
        v_th = torch.full((D,), 0.8, dtype=dtype)
        ours = run(lambda x: F.plif(x, w_ours, v_th, reset="hard" if v_reset is not None else
                                    "soft", decay_input=decay_input, detach_reset=detach,
                                    surrogate=sg, alpha=alpha)[0], x, w)
        theirs = run(lambda x: time_first(node, x), x, w)
        what = f"ParametricLIFNode init_tau={init_tau} decay_input={decay_input} " \
               f"v_reset={v_reset} {sg} detach={detach}"
        check(ours, theirs, what)
        # The decay parameter's gradient: theirs is one scalar, ours per channel, of -w.
        x = x.detach()
        s = F.plif(x, w_ours, v_th, reset="hard" if v_reset is not None else "soft",
                   decay_input=decay_input, detach_reset=detach, surrogate=sg, alpha=alpha)[0]
        (dw_ours,) = torch.autograd.grad((s * w).sum(), [w_ours])
        node.reset()
        (dw_theirs,) = torch.autograd.grad((time_first(node, x) * w).sum(), [node.w])
        assert abs(-dw_ours.sum().item() - dw_theirs.item()) <= 1e-5 * max(1, abs(dw_theirs)), what


SNN_SURROGATES = [("atan", 2.0, lambda a: snn_surrogate.atan(alpha=a)),
                  ("fast_sigmoid", 25.0, lambda a: snn_surrogate.fast_sigmoid(slope=a)),
                  ("sigmoid", 5.0, lambda a: snn_surrogate.sigmoid(slope=a))]


def snntorch_run(beta, threshold, reset, spike_grad, x):
    """snnTorch Leaky over time: "subtract" with an explicit membrane, "zero" with hidden state."""
    if reset == "subtract":
        lif = snn.Leaky(beta=beta, threshold=threshold, spike_grad=spike_grad,
                        reset_mechanism="subtract")
        mem, out = lif.init_leaky(), []
        for t in range(x.shape[1]):
            spk, mem = lif(x[:, t], mem)
            out.append(spk)
    else:
        lif = snn.Leaky(beta=beta, threshold=threshold, spike_grad=spike_grad,
                        reset_mechanism="zero", init_hidden=True, output=True)
        out = [lif(x[:, t])[0] for t in range(x.shape[1])]
    return torch.stack(out, 1)


def test_snntorch_leaky():
    cases = itertools.product([0.5, 0.9], [1.0, 0.7], ["subtract", "zero"], SNN_SURROGATES)
    for i, (beta, threshold, reset, (sg, alpha, make_sg)) in enumerate(cases):
        x, w = inputs(torch.float32, 300 + i)
        ours = run(lambda x: F.lif(x, tau=beta, v_th=threshold,
                                   reset="soft" if reset == "subtract" else "hard",
                                   surrogate=sg, alpha=alpha, detach_reset=True), x, w)
        theirs = run(lambda x: snntorch_run(beta, threshold, reset, make_sg(alpha), x), x, w)
        check(ours, theirs, f"Leaky beta={beta} threshold={threshold} {reset} {sg}")


def test_zz_summary():
    # Printed for docs/results.md (pytest -s).
    print(f"\npeer equivalence: {SUMMARY['cases']} cases, {SUMMARY['compared_spikes']} spikes "
          f"bit-equal, max |grad diff| {SUMMARY['max_grad_diff']:.3g}")
    assert SUMMARY["cases"] > 0
