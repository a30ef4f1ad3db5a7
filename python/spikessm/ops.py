"""The library's ops as PyTorch operators.

Each function here calls ``torch.ops.spikessm.<name>`` (registered by the extension, so the
same call also works inside ``torch.jit.script``), whose kernel is the C++ library's public
function: the fused CPU kernel with its own backward. Tensors are CPU, float32 or float64,
in the (B, L, D) layout (batch, time, features) unless said otherwise. A wrong shape, dtype or
device raises RuntimeError (an unknown option name: RuntimeError or ValueError) with the
library's one-line message, e.g. ``[lif_multistep] expected x of shape (B, L, D), got [2, 3]``.

Surrogate gradients (``surrogate=``; forward spikes are exactly 0/1 whatever the choice), with
``alpha`` their sharpness:

- ``"triangle"``: max(0, 1 - |x|) (SpikingSSM's), alpha unused;
- ``"sigmoid"``: alpha s (1 - s), s = sigmoid(alpha x) (SpikingJelly's Sigmoid);
- ``"atan"``: alpha / 2 / (1 + (pi/2 alpha x)^2) (SpikingJelly's ATan);
- ``"rectangle"``: alpha on |x| < 1/(2 alpha);
- ``"fast_sigmoid"``: 1 / (1 + alpha |x|)^2 (snnTorch's fast_sigmoid, slope = alpha).
"""
import torch

from . import _C  # noqa: F401  (registers torch.ops.spikessm)

_ops = torch.ops.spikessm

SURROGATES = ("triangle", "sigmoid", "atan", "rectangle", "fast_sigmoid")


# ---- neurons -------------------------------------------------------------------------------

def lif_multistep(x, tau=0.125, v_th=1.0, reset="hard", grad="bptt", surrogate="triangle",
                  alpha=4.0, detach_reset=True, ln_vth=None, v0=None):
    """Multi-step leaky integrate-and-fire neuron: x (B, L, D) -> spikes (B, L, D).

    u'_t = tau u_{t-1} + x_t,  s_t = H(u'_t - v_th); reset "hard": u_t = u'_t (1 - s_t),
    "soft": u_t = u'_t - s_t v_th. tau is the decay factor (SpikingJelly's 1 - 1/tau with
    decay_input=False, snnTorch's beta).

    grad: "bptt" (gradient through the membrane over time) or "sltt" (the leak detached:
    gradient within a step only). detach_reset: no gradient through s in the reset.
    ln_vth: optional (D) learnable log-threshold, applied as the SpikingSSM block does
    (input scaled by exp(-ln_vth), then v_th). v0: optional (B, D) initial membrane u_{-1}.
    """
    return _ops.lif_multistep(x, tau, v_th, reset, grad, surrogate, alpha, detach_reset, ln_vth,
                              v0)


def plif_multistep(x, w, v_th, reset="soft", decay_input=True, detach_reset=False,
                   surrogate="sigmoid", alpha=4.0, v0=None):
    """Parametric LIF: x (B, L, D), w (D) decay logits, v_th (D) -> (spikes, v_post), each (B, L, D).

    beta = sigmoid(w); V_pre[t] = beta V_post[t-1] + (1 - beta) x[t] (decay_input; else
    + x[t]); s = H(V_pre - v_th); soft reset V_post = V_pre - v_th s, hard V_pre (1 - s).
    Gradients to x, w, v_th (when they require grad) and v0 (B, D), the initial membrane.
    SpikingJelly's ParametricLIFNode with tau = 1 + exp(-w).
    """
    return _ops.plif_multistep(x, w, v_th, reset, decay_input, detach_reset, surrogate, alpha, v0)


def selective_plif(current, beta, gain, v_th, surrogate="sigmoid", alpha=4.0,
                   detach_reset=False, v0=None):
    """NeuronSpark's selective PLIF: every input (B, L, D) -> (spikes, v_post), each (B, L, D).

    V_pre[t] = beta[t] V_post[t-1] + gain[t] current[t], s = H(V_pre - v_th[t]), soft reset.
    beta, gain and v_th are given already activated (e.g. sigmoid, softplus, V_min + |.|).
    """
    return _ops.selective_plif(current, beta, gain, v_th, surrogate, alpha, detach_reset, v0)


def heaviside_spike(x, v_th=0.0, surrogate="triangle", alpha=4.0):
    """Stateless spike of Binary S4D: H(x - v_th) (H(0) = 1), any shape; surrogate backward."""
    return _ops.heaviside_spike(x, v_th, surrogate, alpha)


def ternary_spike(x, scale, scope="row", ratio=0.15, surrogate="atan", alpha=2.0):
    """The GSU's ternary quantiser: scale (H(x - th) - H(-x - th)), th = ratio max|x|.

    x: (..., D); scale: a one-element tensor of x's dtype. scope "row": the max over the last
    dimension (causal, batch-independent); "tensor": over the whole tensor (PRF's).
    """
    return _ops.ternary_spike(x, scale, scope, ratio, surrogate, alpha)


def sdn_spike(y, surrogate="triangle", alpha=4.0):
    """The SDN neuron of SpikingSSM with the library's built-in weights (tau = 0.125).

    y: (B, L, D) float32 -> spikes H(m + y - 1), m = sdn_predict(y) the predicted leaked
    membrane (frozen), the surrogate on y only.
    """
    return _ops.sdn_spike(y, surrogate, alpha)


def sdn_predict(x):
    """The surrogate dynamic network: x (B, L, D) float32 -> the leaked membrane (B, L, D)."""
    return _ops.sdn_predict(x)


# ---- state space models ----------------------------------------------------------------------

def diag_ssm(u, w, z, d):
    """The S4D layer as its recurrence (the fused scan): u (B, L, H) -> y (B, L, H).

    w: (C, H, M, 2) per-mode input weights C Bbar as (re, im) (C = 2: bidirectional),
    z: (H, M, 2) per-mode decays exp(dt A), d: (H) skip. Exactly the convolution with the
    Vandermonde kernel of w, z, plus d u. ``spikessm.nn.S4D.mode_weights()`` gives w, z.
    """
    return _ops.diag_ssm(u, w, z, d)


def s4d_vandermonde(w, z, L):
    """The S4D kernel K[c, h, l] = 2 Re sum_m w[c, h, m] z[h, m]^l: (C, H, L)."""
    return _ops.s4d_vandermonde(w, z, L)


def fft_conv(u, kc, d):
    """Linear convolution by FFT: u (B, L, H), kc (H, n) on an n >= 2L circle, d (H) -> (B, L, H)."""
    return _ops.fft_conv(u, kc, d)


def circular_layout(k, n):
    """A (C, H, L) kernel on an n-point FFT circle (H, n): causal lags first, anti-causal last."""
    return _ops.circular_layout(k, n)


def s4d_fft(u, w, z, d):
    """The S4D layer's FFT path (as ``backend="fft"``): same map as ``diag_ssm``."""
    return _ops.s4d_fft(u, w, z, d)


def selective_scan(u, beta, h0=None):
    """h[t] = beta[t] h[t-1] + u[t]: u (B, L, D), beta (B, L, D) or (D), h0 (B, D) -> h (B, L, D)."""
    return _ops.selective_scan(u, beta, h0)


def ndyn_kernel(a, beta, c, gamma, N):
    """LRF-Dyn's neuron-dynamics kernel K_n = gamma c^T A^n 1: a (k), beta (k-1), c (k, D) -> (N, D)."""
    return _ops.ndyn_kernel(a, beta, c, gamma, N)


def ndyn_parallel(u, a, beta, c, gamma=1.0):
    """The neuron-dynamics recurrence as a causal FFT convolution: u (R, N, D) -> (R, N, D)."""
    return _ops.ndyn_parallel(u, a, beta, c, gamma)


def ndyn_recurrent(u, a, beta, c, gamma=1.0, state=None):
    """The same recurrence step by step (inference): u (R, N, D) -> (y (R, N, D), state (R, k, D)).

    state: the dendrite state to continue from (zeros when None); it is not modified, the
    state after the last token is returned, so chunks fed in turn equal the whole sequence.
    """
    return _ops.ndyn_recurrent(u, a, beta, c, gamma, state)


# ---- event-driven mixing ---------------------------------------------------------------------

def spike_linear(s, wt, bias=None, glu=False):
    """Event-driven linear layer (inference, no gradient): s (M, K) in {0, 1} float32,
    wt (K, N) = W^T, bias (N) -> (M, N), or (M, N/2) with the GLU fused in.
    Only the weight rows of active spikes are accumulated."""
    return _ops.spike_linear(s, wt, bias, glu)


def spike_mix_linear(s, wt, bias=None, kernel="auto", glu=False):
    """The mixing layer by the chosen kernel: "dense" (addmm), "sparse" (spike_linear) or
    "auto" (sparse when the measured spiking rate is below the measured crossover)."""
    return _ops.spike_mix_linear(s, wt, bias, kernel, glu)
