"""The bound ops against plain-PyTorch loops of their equations (neuron_refs.py), float64
central differences for the smooth ones, and the op registry (torch.ops, TorchScript)."""
import itertools

import pytest
import torch

import spikessm
from spikessm import functional as F
from spikessm import ops

import neuron_refs as ref

DTYPES = [torch.float32, torch.float64]


def grads(out_fn, inputs, seed=0):
    """Gradients of a fixed random projection of out_fn(*inputs) w.r.t. inputs."""
    inputs = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = out_fn(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    g = torch.Generator().manual_seed(seed)
    loss = sum((o * torch.randn(o.shape, generator=g, dtype=o.dtype)).sum() for o in outs)
    return outs, torch.autograd.grad(loss, inputs, allow_unused=True)


def close(a, b, dtype):
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("surrogate", ops.SURROGATES)
def test_lif_matches_equations(dtype, surrogate):
    torch.manual_seed(0)
    x = torch.randn(3, 17, 5, dtype=dtype) * 1.5
    for reset, grad, detach in itertools.product(["hard", "soft"], ["bptt", "sltt"], [True, False]):
        kw = dict(tau=0.75, v_th=0.5, reset=reset, grad=grad, surrogate=surrogate, alpha=2.0,
                  detach_reset=detach)
        (s,), (dx,) = grads(lambda x: ops.lif_multistep(x, **kw), [x])
        (s_ref,), (dx_ref,) = grads(lambda x: ref.lif(x, **kw), [x])
        assert torch.equal(s, s_ref), kw
        assert set(s.unique().tolist()) <= {0.0, 1.0}
        close(dx, dx_ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lif_threshold_and_initial_membrane(dtype):
    torch.manual_seed(1)
    x, ln_vth, v0 = torch.randn(2, 9, 4, dtype=dtype), torch.randn(4, dtype=dtype) * 0.3, \
        torch.randn(2, 4, dtype=dtype)

    def ours(x, ln_vth, v0):
        return F.lif(x, tau=0.5, reset="soft", surrogate="atan", ln_vth=ln_vth, v0=v0)

    def theirs(x, ln_vth, v0):
        return ref.lif(x * torch.exp(-ln_vth), 0.5, 1.0, reset="soft", surrogate="atan", v0=v0)

    (s,), g = grads(ours, [x, ln_vth, v0])
    (s_ref,), g_ref = grads(theirs, [x, ln_vth, v0])
    assert torch.equal(s, s_ref)
    for a, b in zip(g, g_ref):
        close(a, b, dtype)


def test_lif_hand_computed():
    # tau 0.5, v_th 1: u' = 0.6, 1.3 (spike, hard reset to 0), 0.6, 1.3 -> 0 1 0 1
    x = torch.tensor([[[0.6], [1.0], [0.6], [1.0]]])
    assert ops.lif_multistep(x, tau=0.5).flatten().tolist() == [0, 1, 0, 1]
    # soft reset keeps 0.3 after the first spike: u' = 0.6, 1.3, 0.75, 1.375 -> 0 1 0 1
    assert ops.lif_multistep(x, tau=0.5, reset="soft").flatten().tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_plif_matches_equations(dtype):
    torch.manual_seed(2)
    x, w, v_th = torch.randn(2, 13, 6, dtype=dtype) * 2, torch.randn(6, dtype=dtype), \
        torch.rand(6, dtype=dtype) + 0.5
    v0 = torch.randn(2, 6, dtype=dtype)
    for reset, decay_input, detach, surrogate in itertools.product(
            ["soft", "hard"], [True, False], [False, True], ["sigmoid", "atan", "triangle"]):
        kw = dict(reset=reset, decay_input=decay_input, detach_reset=detach, surrogate=surrogate)
        out, g = grads(lambda x, w, v, v0: ops.plif_multistep(x, w, v, v0=v0, **kw),
                       [x, w, v_th, v0])
        out_ref, g_ref = grads(lambda x, w, v, v0: ref.plif(x, w, v, v0=v0, **kw),
                               [x, w, v_th, v0])
        assert torch.equal(out[0], out_ref[0]), kw
        close(out[1], out_ref[1], dtype)
        for a, b in zip(g, g_ref):
            close(a, b, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_selective_plif_matches_equations(dtype):
    torch.manual_seed(3)
    shape = (2, 11, 5)
    cur = torch.randn(shape, dtype=dtype) * 2
    beta, gain = torch.rand(shape, dtype=dtype), torch.rand(shape, dtype=dtype) + 0.5
    v_th, v0 = torch.rand(shape, dtype=dtype) + 0.3, torch.randn(2, 5, dtype=dtype)
    out, g = grads(lambda *a: ops.selective_plif(*a[:4], v0=a[4]), [cur, beta, gain, v_th, v0])
    out_ref, g_ref = grads(lambda *a: ref.selective_plif(*a[:4], v0=a[4]),
                           [cur, beta, gain, v_th, v0])
    assert torch.equal(out[0], out_ref[0])
    for a, b in zip(list(out[1:]) + list(g), list(out_ref[1:]) + list(g_ref)):
        close(a, b, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_heaviside_and_ternary(dtype):
    torch.manual_seed(4)
    x = torch.randn(3, 7, 8, dtype=dtype)
    (s,), (dx,) = grads(lambda x: F.heaviside(x, v_th=0.2, surrogate="sigmoid", alpha=3.0), [x])
    assert torch.equal(s, (x >= 0.2).to(dtype))
    close(dx, grads(lambda x: ref.Spike.apply(x - 0.2, "sigmoid", 3.0), [x])[1][0], dtype)

    scale = torch.tensor([1.5], dtype=dtype)
    q = F.ternary(x, scale)  # per row: th = 0.15 max|x| over D
    th = 0.15 * x.abs().amax(-1, keepdim=True)
    assert torch.equal(q, 1.5 * ((x >= th).to(dtype) - (-x >= th).to(dtype)))
    qt = F.ternary(x, scale, scope="tensor")
    th = 0.15 * x.abs().max()
    assert torch.equal(qt, 1.5 * ((x >= th).to(dtype) - (-x >= th).to(dtype)))


def test_sdn_spike_is_a_leak_free_lif_of_the_prediction():
    torch.manual_seed(5)
    y = torch.randn(2, 40, 3)
    m = ops.sdn_predict(y)
    assert m.shape == y.shape
    s = F.sdn_spike(y)
    assert torch.equal(s, ((m + y - 1) >= 0).float())


@pytest.mark.parametrize("dtype", DTYPES)
def test_s4d_paths_agree(dtype):
    torch.manual_seed(6)
    s4d = spikessm.nn.S4D(4, 8, bidirectional=False).to(dtype)
    w, z = s4d.mode_weights()
    u, d = torch.randn(2, 33, 4, dtype=dtype), s4d.d
    y_scan = ops.diag_ssm(u, w, z, d)
    y_fft = ops.s4d_fft(u, w, z, d)
    k = ops.s4d_vandermonde(w, z, 33)[0]  # (H, L) causal kernel
    y_conv = torch.stack([sum(k[:, j] * u[:, t - j] for j in range(t + 1))
                          for t in range(33)], 1) + u * d
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(y_scan, y_conv, rtol=tol, atol=tol)
    torch.testing.assert_close(y_fft, y_conv, rtol=tol, atol=tol)
    with torch.no_grad():
        torch.testing.assert_close(s4d(u), y_scan, rtol=tol, atol=tol)


def test_smooth_ops_gradcheck():
    torch.manual_seed(7)
    d = torch.float64
    u = torch.randn(2, 6, 3, dtype=d, requires_grad=True)
    w = (torch.randn(1, 3, 2, 2, dtype=d) * 0.5).requires_grad_()
    z = (torch.rand(3, 2, 2, dtype=d) * 0.6).requires_grad_()
    dd = torch.randn(3, dtype=d, requires_grad=True)
    assert torch.autograd.gradcheck(ops.diag_ssm, (u, w, z, dd))
    assert torch.autograd.gradcheck(ops.s4d_fft, (u, w, z, dd))
    beta = torch.rand(2, 6, 3, dtype=d, requires_grad=True)
    h0 = torch.randn(2, 3, dtype=d, requires_grad=True)
    assert torch.autograd.gradcheck(ops.selective_scan, (u, beta, h0))
    a = torch.rand(4, dtype=d).mul(0.5).add(0.3).requires_grad_()
    b = (torch.rand(3, dtype=d) * 0.02).requires_grad_()
    c = torch.randn(4, 3, dtype=d, requires_grad=True)
    assert torch.autograd.gradcheck(lambda u, a, b, c: ops.ndyn_parallel(u, a, b, c, 0.7),
                                    (u, a, b, c))


@pytest.mark.parametrize("dtype", DTYPES)
def test_selective_scan_and_ndyn_recurrences(dtype):
    torch.manual_seed(8)
    u, beta, h0 = torch.randn(2, 10, 4, dtype=dtype), torch.rand(4, dtype=dtype), \
        torch.randn(2, 4, dtype=dtype)
    h, hs = h0, []
    for t in range(10):
        h = beta * h + u[:, t]
        hs.append(h)
    close(ops.selective_scan(u, beta, h0), torch.stack(hs, 1), dtype)

    a, b = torch.tensor([0.9, 0.7, 0.5], dtype=dtype), torch.tensor([0.01, 0.02], dtype=dtype)
    c = torch.randn(3, 4, dtype=dtype)
    y_par = ops.ndyn_parallel(u, a, b, c, 0.8)
    y_rec, state = ops.ndyn_recurrent(u, a, b, c, 0.8)
    y1, s1 = ops.ndyn_recurrent(u[:, :4], a, b, c, 0.8)
    y2, s2 = ops.ndyn_recurrent(u[:, 4:], a, b, c, 0.8, s1)
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(y_par, y_rec, rtol=tol, atol=tol)
    assert torch.equal(torch.cat([y1, y2], 1), y_rec) and torch.equal(s2, state)


def test_event_driven_mixing_equals_dense():
    torch.manual_seed(9)
    s = (torch.rand(50, 16) < 0.2).float()
    wt, bias = torch.randn(16, 12), torch.randn(12)
    dense = torch.addmm(bias, s, wt)
    torch.testing.assert_close(ops.spike_linear(s, wt, bias), dense, rtol=1e-5, atol=1e-5)
    a, g = dense.chunk(2, -1)
    torch.testing.assert_close(ops.spike_linear(s, wt, bias, glu=True), a * torch.sigmoid(g),
                               rtol=1e-5, atol=1e-5)
    for kernel in ("auto", "dense", "sparse"):
        torch.testing.assert_close(ops.spike_mix_linear(s, wt, bias, kernel), dense,
                                   rtol=1e-5, atol=1e-5)


def test_registered_and_scriptable():
    names = ["lif_multistep", "plif_multistep", "selective_plif", "heaviside_spike",
             "ternary_spike", "sdn_spike", "sdn_predict", "diag_ssm", "s4d_vandermonde",
             "fft_conv", "circular_layout", "s4d_fft", "selective_scan", "ndyn_kernel",
             "ndyn_parallel", "ndyn_recurrent", "spike_linear", "spike_mix_linear"]
    for n in names:
        assert hasattr(torch.ops.spikessm, n), n

    @torch.jit.script
    def two_neurons(x: torch.Tensor, w: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        s = torch.ops.spikessm.lif_multistep(x, 0.5, 1.0, "soft", "bptt", "atan", 2.0, True,
                                             None, None)
        return torch.ops.spikessm.plif_multistep(s, w, v)[0]

    x = torch.randn(2, 5, 3, requires_grad=True)
    w, v = torch.zeros(3), torch.full((3,), 0.4)
    out = two_neurons(x, w, v)
    assert torch.equal(out, ops.plif_multistep(ops.lif_multistep(x, 0.5, reset="soft",
                                                                 surrogate="atan", alpha=2.0),
                                               w, v)[0])
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
