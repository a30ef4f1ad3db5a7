"""The library's layers as torch.nn.Modules (views of the C++ modules, see cpp_module.py).

Keyword options are the C++ options structs' fields with the library's defaults; enum options
take the names the configs use (e.g. ``surrogate="atan"``, ``norm="batch"``). An unknown
keyword is a TypeError, a bad value a ValueError naming it.
"""
from .. import _C
from .cpp_module import CppModule

_S4D_KEYS = """dt_min=1e-3, dt_max=1e-1: log dt ~ U[log dt_min, log dt_max] per channel;
        init="lin" | "inv"; trainable_b=False (B = 1); bidirectional=False;
        backend="scan" (fused recurrence, O(L N)) | "fft" (FFT convolution, O(L log L))"""


class S4D(CppModule):
    __doc__ = f"""S4D: d_model diagonal state space models of state d_state (even).

    u (B, L, H) -> y (B, L, H), plus the D skip. Options: {_S4D_KEYS}.
    Step mode (causal only): ``initial_state(B)`` -> h (B, H, N/2) complex;
    ``step(x (B, H), h)`` -> (y (B, H), h'); ``forward_recurrent(u)`` runs step over time.
    """

    def __init__(self, d_model, d_state, **options):
        super().__init__(_C.S4D(d_model, d_state, **options))

    @property
    def backend(self):
        return self._cpp.backend

    @backend.setter
    def backend(self, name):
        self._cpp.backend = name

    def initial_state(self, batch):
        return self._cpp.initial_state(batch)

    def step(self, x, h):
        return self._cpp.step(x, h)

    def forward_recurrent(self, u):
        return self._cpp.forward_recurrent(u)

    def state_after(self, u):
        """The state step() would hold after reading u (B, L, H), computed in parallel."""
        return self._cpp.state_after(u)

    def kernel(self, L):
        """The convolution kernel(s) (C, H, L), C = 2 when bidirectional."""
        return self._cpp.kernel(L)

    def mode_weights(self):
        """(w (C, H, N/2, 2), z (H, N/2, 2)): the inputs of spikessm.ops.diag_ssm / s4d_fft."""
        return self._cpp.mode_weights()


class SpikingSSMBlock(CppModule):
    __doc__ = f"""The SpikingSSM block (S4D -> threshold scaling -> LIF -> GLU mixing, residual).

    x (B, L, H) -> (B, L, H). Options: S4D's ({_S4D_KEYS});
        the neuron: neuron="bptt" | "sltt" | "sdn" | "sdn_scratch", tau=0.125, v_th=1.0,
        reset="hard" | "soft", detach_reset=True, surrogate="triangle", alpha=4.0,
        learnable_vth=True, sdn_weights="" (built in);
        norm="layer" | "batch" | "none", prenorm=True, dropout=0.0, spiking=True (False: the
        S4D + GELU twin), mix_kernel="auto" | "dense" | "sparse" (at inference).
    """

    def __init__(self, d_model, d_state, **options):
        super().__init__(_C.SpikingSSMBlock(d_model, d_state, **options))


class BinaryS4DBlock(CppModule):
    __doc__ = f"""The Binary S4D block: H(S4D(x)) (a stateless spike) then GLU or GSU mixing.

    x (B, L, H) -> (B, L, H). Options: S4D's ({_S4D_KEYS});
        activation="heaviside" | "gelu", surrogate="triangle", alpha=4.0, mixer="glu" | "gsu",
        gsu_gelu=False, norm="layer", prenorm=True, dropout=0.0.
    """

    def __init__(self, d_model, d_state, **options):
        super().__init__(_C.BinaryS4DBlock(d_model, d_state, **options))


class GSU(CppModule):
    """Gated spiking unit: (Ter(W_a) y + b_a) * (W_b Ter(y) + b_b), y (B, L, H) -> (B, L, H).

    Options: gelu=False, threshold_ratio=0.15, surrogate="atan", alpha=2.0.
    """

    def __init__(self, d_model, **options):
        super().__init__(_C.GSU(d_model, **options))

    def weight_density(self):
        """Fraction of non-zero entries of Ter(W_a)."""
        return self._cpp.weight_density()


class PlifNode(CppModule):
    """NeuronSpark's PLIF node: x (B, T, D), v0 (B, D) or None -> (leak (B, T, D), v_last (B, D)).

    beta = sigmoid(w) per channel, soft reset, output the leak (1 - beta) V_post.
    Options: init_tau=2.0, v_threshold=0.5, surrogate_alpha=4.0, spiking=True.
    """

    def __init__(self, dim, **options):
        super().__init__(_C.PlifNode(dim, **options))

    def forward(self, x, v0=None):
        return self._cpp.forward(x, v0)


class NeuronSparkLayer(CppModule):
    """One NeuronSpark decoder layer (SNN block + SNN FFN, PonderNet aggregation of K frames).

    forward(h (B, L K, D), state=None) -> (h, ek_block (B, L), ek_ffn (B, L), state), the state
    being the 5 membranes after the last frame (feed it back to continue a sequence).
    Options: v_min=0.1, k_ref=16, p_assumed=0.15, init_tau=2.0, v_threshold=0.5,
    surrogate_alpha=4.0, spiking=True, n_layers=1, halt_bias=-3.5, rms_eps=1e-6.
    """

    def __init__(self, d_model, n_state, d_ff, frames, **options):
        super().__init__(_C.NeuronSparkLayer(d_model, n_state, d_ff, frames, **options))

    def forward(self, h, state=None):
        return self._cpp.forward(h, state)


class NeuralDynamics(CppModule):
    """LRF-Dyn's neuron-dynamics state: k dendrites per channel integrated over the tokens.

    u (R, N, D) -> (R, N, D): the FFT convolution in training mode, the O(k D) recurrence in
    eval mode. ``forward_chunk(u, state)`` -> (y, state) continues a sequence (no gradient).
    Options: dendrites=8, gamma=1.0, beta_max=0.02, a_min=0.5, a_max=0.95.
    """

    def __init__(self, d_model, **options):
        super().__init__(_C.NeuralDynamics(d_model, **options))

    def forward_chunk(self, u, state=None):
        return self._cpp.forward_chunk(u, state)

    def decay(self):
        return self._cpp.decay()

    def coupling(self):
        return self._cpp.coupling()


class SpikingAttention(CppModule):
    """Spikformer's spiking self-attention and its variants: x (T, B, N, D) -> (T, B, N, D).

    N = grid_h x grid_w tokens. Options: kind="ssa" | "lrf_ssa" | "lrf_dyn" (LRF-Dyn: the
    neuron-dynamics attention), heads=4, dendrites=8, scale=0.125, attn_v_th=0.5.
    """

    def __init__(self, d_model, grid_h, grid_w, **options):
        super().__init__(_C.SpikingAttention(d_model, grid_h, grid_w, **options))
