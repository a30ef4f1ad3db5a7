"""Neuron modules over the spikessm ops (each forward is one fused C++ op with its backward)."""
import math

import torch

from .. import ops


class LIF(torch.nn.Module):
    """Multi-step LIF neuron: x (B, L, D) -> spikes (B, L, D) (spikessm.ops.lif_multistep).

    tau: decay factor (u' = tau u + x); v_th; reset "hard" | "soft"; grad "bptt" | "sltt";
    surrogate (spikessm.ops.SURROGATES) with alpha; detach_reset.
    learnable_vth: a per-channel log-threshold ln_vth (D) initialised to 0 (needs d), applied
    as the SpikingSSM block does. forward(x, v0=None): v0 (B, D) initial membrane.
    """

    def __init__(self, d=None, tau=0.125, v_th=1.0, reset="hard", grad="bptt",
                 surrogate="triangle", alpha=4.0, detach_reset=True, learnable_vth=False):
        super().__init__()
        self.tau, self.v_th, self.reset, self.grad = tau, v_th, reset, grad
        self.surrogate, self.alpha, self.detach_reset = surrogate, alpha, detach_reset
        if learnable_vth:
            if d is None:
                raise ValueError("LIF: learnable_vth needs the number of channels d")
            self.ln_vth = torch.nn.Parameter(torch.zeros(d))
        else:
            self.ln_vth = None

    def forward(self, x, v0=None):
        return ops.lif_multistep(x, self.tau, self.v_th, self.reset, self.grad, self.surrogate,
                                 self.alpha, self.detach_reset, self.ln_vth, v0)

    def extra_repr(self):
        return (f"tau={self.tau}, v_th={self.v_th}, reset={self.reset}, grad={self.grad}, "
                f"surrogate={self.surrogate}, alpha={self.alpha}")


class PLIF(torch.nn.Module):
    """Parametric LIF with a learned per-channel decay beta = sigmoid(w) (spikessm.ops.plif_multistep).

    x (B, L, D) -> spikes (B, L, D). init_tau: w starts at -log(init_tau - 1), i.e.
    beta = 1 - 1/init_tau as SpikingJelly's ParametricLIFNode; v_th: initial threshold,
    learned when learnable_vth; reset "soft" | "hard"; decay_input; detach_reset; surrogate,
    alpha. ``membrane(x, v0)`` returns (spikes, V_post).
    """

    def __init__(self, d, init_tau=2.0, v_th=1.0, learnable_vth=False, reset="soft",
                 decay_input=True, detach_reset=False, surrogate="sigmoid", alpha=4.0):
        super().__init__()
        if not init_tau > 1:
            raise ValueError(f"PLIF: init_tau must be > 1, got {init_tau}")
        self.w = torch.nn.Parameter(torch.full((d,), -math.log(init_tau - 1.0)))
        vth = torch.full((d,), float(v_th))
        if learnable_vth:
            self.v_th = torch.nn.Parameter(vth)
        else:
            self.register_buffer("v_th", vth)
        self.reset, self.decay_input, self.detach_reset = reset, decay_input, detach_reset
        self.surrogate, self.alpha = surrogate, alpha

    def membrane(self, x, v0=None):
        return ops.plif_multistep(x, self.w, self.v_th, self.reset, self.decay_input,
                                  self.detach_reset, self.surrogate, self.alpha, v0)

    def forward(self, x, v0=None):
        return self.membrane(x, v0)[0]
