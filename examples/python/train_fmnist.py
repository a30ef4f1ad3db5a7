#!/usr/bin/env python3
"""A plain PyTorch training loop over spikessm.nn modules: a two-block SpikingSSM classifier on
sequential Fashion-MNIST (2x2-pooled images read one pixel a step, L = 196).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/train_fmnist.py [--steps 200]
"""
import argparse
import gzip
import pathlib
import time

import numpy as np
import torch

import spikessm


def read_idx(path):
    """An IDX file (gzip) as a numpy array."""
    data = gzip.open(path, "rb").read()
    ndim = data[3]
    shape = np.frombuffer(data, ">u4", ndim, 4).astype(int)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def pixel_sequences(images):
    """(N, 28, 28) bytes -> (N, 196, 1): 2x2 average pooling, scaled to [0, 1], row-major."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    x = torch.nn.functional.avg_pool2d(x.unsqueeze(1), 2)
    return x.reshape(len(images), -1, 1)


class SeqClassifier(torch.nn.Module):
    """Linear encoder -> SpikingSSM blocks (C++) -> mean over time -> linear decoder."""

    def __init__(self, d_model=32, d_state=8, n_layers=2, n_classes=10):
        super().__init__()
        self.encoder = torch.nn.Linear(1, d_model)
        self.blocks = torch.nn.ModuleList(
            spikessm.nn.SpikingSSMBlock(d_model, d_state, bidirectional=True)
            for _ in range(n_layers))
        self.decoder = torch.nn.Linear(d_model, n_classes)

    def forward(self, x):  # x: (B, L, 1) -> logits (B, n_classes)
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return self.decoder(h.mean(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train", type=int, default=2048, help="training images used")
    ap.add_argument("--test", type=int, default=500, help="test images used")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--min-accuracy", type=float, default=0.0,
                    help="exit 1 when the test accuracy ends below this (CI)")
    args = ap.parse_args()
    d = pathlib.Path(args.data)
    x_train = pixel_sequences(read_idx(d / "train-images-idx3-ubyte.gz")[:args.train])
    y_train = torch.from_numpy(read_idx(d / "train-labels-idx1-ubyte.gz")[:args.train].astype(np.int64))
    x_test = pixel_sequences(read_idx(d / "t10k-images-idx3-ubyte.gz")[:args.test])
    y_test = torch.from_numpy(read_idx(d / "t10k-labels-idx1-ubyte.gz")[:args.test].astype(np.int64))

    torch.manual_seed(0)
    model = SeqClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    t0 = time.time()
    for step in range(args.steps):
        idx = torch.randint(0, len(x_train), (args.batch,))
        loss = torch.nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 20 == 0 or step == args.steps - 1:
            print(f"step {step:4d} loss {loss.item():.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x_test[i:i + 100]).argmax(1) for i in range(0, len(x_test), 100)])
    acc = (pred == y_test).float().mean().item()
    print(f"test accuracy {acc:.4f} on {len(x_test)} images after {args.steps} steps "
          f"({time.time() - t0:.1f} s)")
    return 0 if acc >= args.min_accuracy else 1


if __name__ == "__main__":
    raise SystemExit(main())
