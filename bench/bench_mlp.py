"""Time one training step of the same MLP in nnlearn and in PyTorch (CPU).

    python bench/bench_mlp.py            # both sizes, a few repeats
    python bench/bench_mlp.py --repeats 9

A step is ``zero_grad(); loss = cross_entropy(model(X), y); loss.backward();
optimizer.step()`` with SGD (momentum 0.9) on fixed random data. Each
measurement runs in its own process, nnlearn and PyTorch alternating, so that
neither library's threads compete with the other's; the figure reported per
library is the best (smallest) of the per-process medians. The script prints
the ratio nnlearn / PyTorch and the course's targets:

- 64-128-64-10 on batches of 32: nnlearn (numpy backend) at most half
  PyTorch's time per step;
- 784-1024-1024-10 on batches of 512 in float32: no slower than PyTorch.

This is a measurement, not a test: the test suite never asserts timings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CONFIGS = {
    "small": dict(sizes=(64, 128, 64, 10), batch=32, steps=2000, warmup=200),
    "large": dict(sizes=(784, 1024, 1024, 10), batch=512, steps=30, warmup=5),
}


def _data(sizes, batch, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[-1], size=batch)
    return X, y


def worker_nnlearn(cfg, dtype):
    import nnlearn
    from nnlearn import nn, optim
    from nnlearn.losses import cross_entropy

    nnlearn.backend.set_default_dtype(dtype)
    nnlearn.manual_seed(0)
    sizes = cfg["sizes"]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    X, y = _data(sizes, cfg["batch"])
    X, y = nnlearn.Tensor(X), nnlearn.Tensor(y)

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(X), y)
        loss.backward()
        opt.step()

    return _time(step, cfg)


def worker_torch(cfg, dtype):
    import torch

    torch.set_default_dtype(getattr(torch, dtype))
    torch.manual_seed(0)
    sizes = cfg["sizes"]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    X, y = _data(sizes, cfg["batch"])
    X, y = torch.tensor(X, dtype=getattr(torch, dtype)), torch.tensor(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()

    return _time(step, cfg)


def _time(step, cfg):
    for _ in range(cfg["warmup"]):
        step()
    times = []
    for _ in range(cfg["steps"]):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(lib, config, dtype):
    out = subprocess.run([sys.executable, __file__, "--worker", lib, config, dtype],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--worker", nargs=3, metavar=("LIB", "CONFIG", "DTYPE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        lib, config, dtype = args.worker
        fn = worker_nnlearn if lib == "nnlearn" else worker_torch
        print(json.dumps({"seconds": fn(CONFIGS[config], dtype)}))
        return
    cases = [("small", "float32", 0.5), ("small", "float64", 0.5), ("large", "float32", 1.0)]
    print(f"{'MLP':<22}{'dtype':<9}{'nnlearn':>12}{'PyTorch':>12}{'ratio':>8}  target")
    for config, dtype, target in cases:
        best = {"nnlearn": float("inf"), "torch": float("inf")}
        for _ in range(args.repeats):
            for lib in ("nnlearn", "torch"):
                best[lib] = min(best[lib], measure(lib, config, dtype))
        ratio = best["nnlearn"] / best["torch"]
        sizes = "-".join(map(str, CONFIGS[config]["sizes"])) + f" b{CONFIGS[config]['batch']}"
        unit, scale = ("µs", 1e6) if config == "small" else ("ms", 1e3)
        verdict = "met" if ratio <= target else "NOT met"
        print(f"{sizes:<22}{dtype:<9}{best['nnlearn'] * scale:>9.1f} {unit}{best['torch'] * scale:>9.1f} {unit}"
              f"{ratio:>8.2f}  ≤ {target:g}: {verdict}")


if __name__ == "__main__":
    main()
