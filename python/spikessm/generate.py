"""Streaming generation with a language model: the prompt read in parallel, then one token at
a time with constant memory (the library's read_prompt and sampling)."""
from . import _C


class TokenStream:
    """Tokens of a spikessm.nn.LanguageModel, drawn one at a time.

    temperature (0: greedy), top_k (0: all), top_p (1: all), seed: as ``spikessm generate``.
    ``read(ids)`` reads a prompt (again later: continues the same state); iterate, or call
    ``next()``, for the following token ids; ``pieces(n)`` yields their bytes.
    """

    def __init__(self, model, temperature=1.0, top_k=0, top_p=1.0, seed=0):
        self.model = model
        self._s = _C.TokenStream(model.cpp, temperature, top_k, top_p, seed)

    def read(self, ids):
        if isinstance(ids, str):
            ids = self.model.tokenizer.encode(ids)
        self._s.read(list(ids))
        return self

    def next(self):
        return self._s.next()

    def __iter__(self):
        return self

    def __next__(self):
        return self._s.next()

    def generate(self, max_tokens):
        """max_tokens tokens by the library's generate_tokens (its generator seeded afresh)."""
        return self._s.generate(max_tokens)

    def pieces(self, max_tokens):
        """Yield the bytes of each of the next max_tokens tokens as it is drawn (a byte token
        may be a part of a UTF-8 character: write them to a binary stream)."""
        for _ in range(max_tokens):
            yield self.model.tokenizer.piece(self._s.next())

    @property
    def next_logits(self):
        return self._s.next_logits

    @property
    def tokens_seen(self):
        return self._s.tokens_seen
