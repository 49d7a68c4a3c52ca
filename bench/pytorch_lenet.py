#!/usr/bin/env python3
"""PyTorch twin of onnxkit's Keras LeNet, for bench/compare.sh.

Trains Conv2d(1,20,5,pad 2)+ReLU, MaxPool 2, Conv2d(20,50,5,pad 2)+ReLU,
MaxPool 2, Flatten, Linear(2450,500)+ReLU, Linear(500,10) with softmax
cross-entropy and Adam (Keras's defaults: lr 1e-3, betas 0.9/0.999,
eps 1e-7) at batch 128 on the MNIST training images in testdata/mnist,
and prints the training speed in images/s over --steps steps after
--warmup steps. Nothing is downloaded.

Usage: pytorch_lenet.py [--data DIR] [--threads 2] [--batch 128]
                        [--warmup 5] [--steps 30] [--repeats 3]
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
from torch import nn


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    assert magic == 2051, f"{path}: not an IDX image file"
    img = np.frombuffer(data[16:], dtype=np.uint8).reshape(n, 1, rows, cols)
    return img.astype(np.float32) / 255.0


def read_idx_labels(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = np.frombuffer(data[:8], dtype=">u4")
    assert magic == 2049, f"{path}: not an IDX label file"
    return np.frombuffer(data[8:], dtype=np.uint8).astype(np.int64)


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 20, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2450, 500), nn.ReLU(),
        nn.Linear(500, 10),
    )


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(here, "..", "testdata", "mnist"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x = torch.from_numpy(read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz")))
    y = torch.from_numpy(read_idx_labels(os.path.join(args.data, "train-labels-idx1-ubyte.gz")))
    model = lenet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # log-softmax + NLL: softmax cross-entropy
    model.train()

    batch = args.batch
    nbatches = x.shape[0] // batch
    step = 0

    def train_step():
        nonlocal step
        i = step % nbatches
        step += 1
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        train_step()
    rates = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            loss = train_step()
        loss.item()
        rates.append(args.steps * batch / (time.perf_counter() - t0))
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() or "lapack" in line.lower()})
    print(f"pytorch {torch.__version__} threads={torch.get_num_threads()} blas={','.join(libs) or 'none'}")
    print("pytorch_train_rates " + " ".join(f"{r:.1f}" for r in rates))
    # The median of the repeats, as compare.sh takes for onnxkit too.
    print(f"pytorch_train_images_per_s {sorted(rates)[len(rates) // 2]:.1f}")


if __name__ == "__main__":
    main()
