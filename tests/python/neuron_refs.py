"""Plain-PyTorch loops of the neuron equations (docs/python.md), differentiated by autograd:
an oracle for the bound ops written independently of the C++ code (test helper only)."""
import math

import torch


def surrogate_slope(x, kind, alpha):
    if kind == "triangle":
        return (1 - x.abs()).clamp(min=0)
    if kind == "sigmoid":
        s = torch.sigmoid(alpha * x)
        return alpha * s * (1 - s)
    if kind == "atan":
        return alpha / 2 / (1 + (math.pi / 2 * alpha * x) ** 2)
    if kind == "rectangle":
        return (x.abs() < 0.5 / alpha).to(x.dtype) * alpha
    if kind == "fast_sigmoid":
        return 1 / (1 + alpha * x.abs()) ** 2
    raise ValueError(kind)


class Spike(torch.autograd.Function):
    """H(x) = 1[x >= 0] forward; the surrogate slope backward."""

    @staticmethod
    def forward(ctx, x, kind, alpha):
        ctx.save_for_backward(x)
        ctx.kind, ctx.alpha = kind, alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * surrogate_slope(x, ctx.kind, ctx.alpha), None, None


def lif(x, tau, v_th, reset="hard", grad="bptt", surrogate="triangle", alpha=4.0,
        detach_reset=True, v0=None):
    u = torch.zeros_like(x[:, 0]) if v0 is None else v0
    out = []
    for x_t in x.unbind(1):
        leak = u.detach() if grad == "sltt" else u
        u_pre = leak * tau + x_t
        s = Spike.apply(u_pre - v_th, surrogate, alpha)
        sr = s.detach() if detach_reset else s
        u = u_pre * (1 - sr) if reset == "hard" else u_pre - sr * v_th
        out.append(s)
    return torch.stack(out, 1)


def plif(x, w, v_th, reset="soft", decay_input=True, detach_reset=False, surrogate="sigmoid",
         alpha=4.0, v0=None):
    beta = torch.sigmoid(w)
    v = torch.zeros_like(x[:, 0]) if v0 is None else v0
    spikes, mem = [], []
    for x_t in x.unbind(1):
        v_pre = beta * v + ((1 - beta) * x_t if decay_input else x_t)
        s = Spike.apply(v_pre - v_th, surrogate, alpha)
        sr = s.detach() if detach_reset else s
        v = v_pre * (1 - sr) if reset == "hard" else v_pre - v_th * sr
        spikes.append(s)
        mem.append(v)
    return torch.stack(spikes, 1), torch.stack(mem, 1)


def selective_plif(current, beta, gain, v_th, surrogate="sigmoid", alpha=4.0,
                   detach_reset=False, v0=None):
    v = torch.zeros_like(current[:, 0]) if v0 is None else v0
    spikes, mem = [], []
    for t in range(current.shape[1]):
        v_pre = beta[:, t] * v + gain[:, t] * current[:, t]
        s = Spike.apply(v_pre - v_th[:, t], surrogate, alpha)
        v = v_pre - v_th[:, t] * (s.detach() if detach_reset else s)
        spikes.append(s)
        mem.append(v)
    return torch.stack(spikes, 1), torch.stack(mem, 1)
