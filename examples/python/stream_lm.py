#!/usr/bin/env python3
"""Stream a language model trained by `spikessm train` token by token from Python: the prompt
is read in parallel, then each token is drawn, printed and fed back with constant memory.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/stream_lm.py runs/lm/bible_ssm/checkpoint.pt \\
        --prompt "In the beginning" --max-tokens 80
"""
import argparse
import sys
import time

import spikessm


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--prompt", default="In the beginning")
    ap.add_argument("--max-tokens", type=int, default=80)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    lm = spikessm.load(args.checkpoint)  # a spikessm.nn.LanguageModel with its tokenizer
    stream = spikessm.TokenStream(lm, temperature=args.temperature, top_k=args.top_k,
                                  seed=args.seed).read(args.prompt)
    out = sys.stdout.buffer
    out.write(args.prompt.encode())
    t0 = time.time()
    for piece in stream.pieces(args.max_tokens):
        out.write(piece)
        out.flush()
    dt = time.time() - t0
    print(f"\n[{lm.family}: {args.max_tokens} tokens in {dt:.2f} s, "
          f"{args.max_tokens / max(dt, 1e-9):.1f} tokens/s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
