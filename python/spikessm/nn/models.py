"""Whole models: any classifier or language model of the library, built from a config by the
library's own builders, or loaded from a checkpoint (spikessm.load)."""
import json

from .. import _C
from ..config import make_config
from .cpp_module import CppModule


class Classifier(CppModule):
    """A classifier of any family (``model.family``: the SpikingSSM / Binary S4D sequence
    classifier, or Spikformer with SSA, LRF-SSA or LRF-Dyn attention), as the CLI trains it.

    config: TOML path or text, or None (defaults); overrides: {"model.d_model": 64, ...}.
    model_input: what the model reads, {"kind": "signal" | "tokens" | "token_pairs" | "image",
    "d_input": features per step (or vocabulary), "n_classes": ..., "image": [C, H, W] or []}.
    forward(x) -> logits (B, n_classes); x: (B, L, d_input) signals, (B, L) token ids,
    (B, 2, L) pairs or (B, C, H, W) images. Parameters are initialised from train.seed.
    """

    def __init__(self, config=None, model_input=None, overrides=None, *, _cpp=None):
        self.config_toml = make_config(config, overrides) if _cpp is None else config
        if model_input is None:
            model_input = {"kind": "signal", "d_input": 1, "n_classes": 10, "image": []}
        self.model_input = dict(model_input)
        self.model_input.setdefault("image", [])
        if _cpp is None:
            _cpp = _C.build_classifier(self.config_toml, json.dumps(self.model_input))
        super().__init__(_cpp)

    def forward(self, x):
        return self._cpp.forward(x)

    def collect_stats(self, on=True):
        """Start (and zero) or stop the spike statistics forward() records."""
        self._cpp.set_collect_stats(on)

    def ops_report(self, L):
        """Firing rates, operation counts and energy per sample since collect_stats(True) (a dict,
        as ``spikessm eval --json``); L: the inputs' sequence length."""
        return self._cpp.ops_report(L)

    def mean_rate(self):
        return self._cpp.mean_rate()


class LanguageModel(CppModule):
    """A causal language model (``model.family`` = "spiking_ssm_lm" | "neuronspark_lm").

    forward(ids (B, L)) -> logits (B, L, V); ``forward_with_state(ids)`` -> (logits, state);
    ``initial_state(B)``; ``step(ids (B,), state)`` -> (logits (B, V), state): one token at a
    time with constant memory, the same logits as forward(). ``tokenizer`` is set when loaded
    from a checkpoint.
    """

    def __init__(self, config=None, vocab=256, overrides=None, *, _cpp=None, tokenizer=None):
        self.config_toml = make_config(config, overrides) if _cpp is None else config
        if _cpp is None:
            _cpp = _C.build_language_model(self.config_toml, vocab)
        super().__init__(_cpp)
        self.tokenizer = tokenizer

    def forward(self, ids):
        return self._cpp.forward(ids)

    def forward_with_state(self, ids):
        return self._cpp.forward_with_state(ids)

    def initial_state(self, batch):
        return self._cpp.initial_state(batch)

    def step(self, ids, state):
        return self._cpp.step(ids, state)

    def aux_loss(self):
        """Extra training loss of the last forward (NeuronSpark's PonderNet cost), else 0."""
        return self._cpp.aux_loss()

    def adjust_gradients(self):
        """Call after backward(), before clipping and the optimizer step (NeuronSpark's
        natural-gradient compensation); nothing for the other families."""
        self._cpp.adjust_gradients()

    @property
    def vocab_size(self):
        return self._cpp.vocab_size

    @property
    def family(self):
        return self._cpp.family

    def collect_stats(self, on=True):
        self._cpp.set_collect_stats(on)

    def ops_report(self):
        return self._cpp.ops_report()
