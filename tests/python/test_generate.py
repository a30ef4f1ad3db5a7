"""A language model checkpoint from Python: loaded with its tokenizer, and streamed token by
token with the same tokens as `spikessm generate` (same prompt, sampling options and seed)."""
import subprocess

import torch

import spikessm
from conftest import CLI


def test_stream_equals_cli_generate(trained_lm):
    ckpt = trained_lm / "checkpoint.pt"
    lm = spikessm.load(ckpt)
    assert isinstance(lm, spikessm.nn.LanguageModel) and lm.family == "spiking_ssm_lm"
    tok = lm.tokenizer
    assert tok.kind == "byte" and tok.vocab_size == lm.vocab_size == 256
    assert tok.decode(tok.encode("In the beginning")) == "In the beginning"

    prompt, n = "And God said", 40
    stream = spikessm.TokenStream(lm, temperature=0.8, top_k=20, seed=3).read(prompt)
    pieces = list(stream.pieces(n))
    assert stream.tokens_seen == len(prompt) + n
    cli = subprocess.run([CLI, "generate", "--checkpoint", str(ckpt), "--prompt", prompt,
                          "--max-tokens", str(n), "--temperature", "0.8", "--top-k", "20",
                          "--seed", "3"], capture_output=True, timeout=120)
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert cli.stdout == prompt.encode() + b"".join(pieces) + b"\n"

    # Token by token from Python equals the library's generate_tokens for the same seed.
    again = spikessm.TokenStream(lm, temperature=0.8, top_k=20, seed=3).read(prompt)
    ids = again.generate(n)
    assert b"".join(tok.piece(i) for i in ids) == b"".join(pieces)


def test_step_equals_forward_on_a_loaded_lm(trained_lm):
    lm = spikessm.load(trained_lm / "checkpoint.pt")
    ids = torch.tensor([lm.tokenizer.encode("In the beginning God created")])
    with torch.no_grad():
        logits = lm(ids)
        state = lm.initial_state(1)
        steps = []
        for t in range(ids.shape[1]):
            out, state = lm.step(ids[:, t], state)
            steps.append(out)
    torch.testing.assert_close(torch.stack(steps, 1), logits, rtol=1e-4, atol=1e-4)


def test_saved_lm_loads_back(trained_lm, tmp_path):
    lm = spikessm.load(trained_lm / "checkpoint.pt")
    spikessm.save(lm, tmp_path / "lm" / "checkpoint.pt")
    assert (tmp_path / "lm" / "tokenizer.json").exists()
    # load_trained_model (what eval, generate and report call) reads it back: same outputs.
    back = spikessm.load(tmp_path / "lm" / "checkpoint.pt")
    ids = torch.tensor([lm.tokenizer.encode("Let there be light")])
    with torch.no_grad():
        assert torch.equal(back(ids), lm(ids))
    assert back.tokenizer.encode("light") == lm.tokenizer.encode("light")
