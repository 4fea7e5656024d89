#!/usr/bin/python3
"""The seed LeNet in PyTorch, trained exactly as ml-train trains it: the honest
comparison for microlearning's speed and accuracy.

  pytorch_lenet.py --mode throughput --threads 2 --samples 12800   # samples/s
  pytorch_lenet.py --mode accuracy --epochs 15                     # test accuracy per epoch
  pytorch_lenet.py --mode throughput --device cuda --compile reduce-overhead   # CUDA graphs: no launch cost

Reads Fashion-MNIST from Debian's dataset-fashion-mnist (or --data-dir). Strict FP32 unless --tf32 (ml-train
computes in FP32; TF32 would give PyTorch a tensor-core shortcut at lower precision). Every step reads its loss
on the host, as ml-train does (it checks each batch's loss). With --compile, the model and the optimizer step
are compiled in that mode; compilation and graph recording happen in the warm-up, outside the timing, and the
line says how long they took.
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    def find(kind):
        for name in (f"{prefix}-{kind}.gz", f"{prefix}-{kind}"):
            if os.path.exists(os.path.join(data_dir, name)):
                return os.path.join(data_dir, name)
        sys.exit(f"pytorch_lenet.py: no {prefix}-{kind}[.gz] in {data_dir}")
    x = read_idx(find("images-idx3-ubyte")).astype(np.float32) / 255.0
    y = read_idx(find("labels-idx1-ubyte")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["throughput", "accuracy"], default="throughput")
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--samples", type=int, default=12800, help="throughput: samples timed (after a warm-up)")
    ap.add_argument("--epochs", type=int, default=15, help="accuracy: epochs")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (the PyTorch installed on that machine)")
    ap.add_argument("--compile", choices=["none", "default", "reduce-overhead", "max-autotune"], default="none",
                    help="torch.compile mode for the model and the optimizer step (none: eager)")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in matmuls and convolutions (default: strict FP32)")
    ap.add_argument("--warmup", type=int, default=30, help="throughput: untimed steps first (compilation happens here)")
    args = ap.parse_args()
    dev = torch.device(args.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: this PyTorch sees no GPU")
    if args.warmup < 1:
        raise SystemExit(f"--warmup {args.warmup}: at least 1")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.set_float32_matmul_precision("high" if args.tf32 else "highest")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data_dir, "train")
    xte, yte = load(args.data_dir, "test")
    mean, std = xtr.mean().item(), xtr.std().item()
    xtr, xte = ((xtr - mean) / std).to(dev), ((xte - mean) / std).to(dev)
    ytr, yte = ytr.to(dev), yte.to(dev)

    model = Net().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    forward, update = model, opt.step
    if args.compile != "none":
        mode = None if args.compile == "default" else args.compile
        forward = torch.compile(model, mode=mode)
        update = torch.compile(opt.step, mode=mode)

    def step(xb, yb):
        opt.zero_grad()
        loss = F.nll_loss(forward(xb), yb)
        loss.backward()
        update()
        return loss.item()

    if args.mode == "throughput":
        g = torch.Generator().manual_seed(args.seed)
        order = torch.randperm(len(xtr), generator=g).to(dev)
        warm_start = time.perf_counter()
        for i in range(args.warmup):
            idx = order[i * args.batch:(i + 1) * args.batch]
            step(xtr[idx], ytr[idx])
        if dev.type == "cuda":
            torch.cuda.synchronize()
        warm_seconds = time.perf_counter() - warm_start
        n_batches = args.samples // args.batch
        start = time.perf_counter()
        for i in range(n_batches):
            idx = order[(i % (len(xtr) // args.batch)) * args.batch:][:args.batch]
            step(xtr[idx], ytr[idx])
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        how = "eager" if args.compile == "none" else f"compile {args.compile}"
        print(f"pytorch {torch.__version__} {args.device} threads {torch.get_num_threads()} batch {args.batch} {how} "
              f"{'tf32' if args.tf32 else 'fp32'}: {n_batches * args.batch / seconds:.1f} samples/s "
              f"({n_batches * args.batch} samples, {seconds:.2f} s; warm-up {args.warmup} steps {warm_seconds:.1f} s)")
        return

    print("epoch,train_loss,test_loss,test_acc,seconds")
    g = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(xtr), generator=g).to(dev)
        start, total = time.perf_counter(), 0.0
        for i in range(0, len(xtr), args.batch):
            idx = order[i:i + args.batch]
            total += step(xtr[idx], ytr[idx]) * len(idx)
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            out = torch.cat([forward(xte[i:i + 1000]) for i in range(0, len(xte), 1000)])
            test_loss = F.nll_loss(out, yte).item()
            acc = (out.argmax(1) == yte).float().mean().item()
        print(f"{epoch},{total / len(xtr):.6f},{test_loss:.6f},{acc:.4f},{seconds:.1f}", flush=True)


if __name__ == "__main__":
    main()
