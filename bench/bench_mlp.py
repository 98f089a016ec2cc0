"""Time one training step of the same MLP in nnlearn and in PyTorch (CPU).

    python bench/bench_mlp.py              # every case, 5 repeats
    python bench/bench_mlp.py --repeats 9
    python bench/bench_mlp.py --cases small-f32 large-f32

A step is ``zero_grad(); loss = cross_entropy(model(X), y); loss.backward();
optimizer.step()`` with SGD (momentum 0.9) on fixed random data. The float32
cases take nnlearn's *default path*: nothing is set globally (nnlearn's default
float dtype stays float64), the model is made float32 by converting its
parameters (``p.data = p.data.float()``) and it is fed float32 arrays, as a
PyTorch user would. The float64 case sets the default dtype in both
libraries.

Each measurement runs in its own process, nnlearn and PyTorch alternating, so
that neither library's threads compete with the other's. A process reports the
median time of its steps; the script prints, per library, the median over
``--repeats`` processes (and the spread, min–max), the ratio nnlearn / PyTorch
and the course's targets:

- 64-128-64-10 on batches of 32, float32: nnlearn at most 0.4 of PyTorch's time;
- 784-1024-1024-10 on batches of 512, float32: no slower than PyTorch.

It also measures this machine's float32 GEMM peak (the best of several
2048 x 2048 products through NumPy, with the same threads as the runs) and
reports the fraction of it that the large step reaches: the step's
floating-point operations (forward, weight gradients and the gradients of the
hidden layers' inputs) divided by its time.

This is a measurement, not a test: the test suite never asserts timings. The
machine may be shared: run it when it is quiet, and compare medians.
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
# name: (config, dtype, target ratio nnlearn / PyTorch)
CASES = {
    "small-f32": ("small", "float32", 0.4),
    "small-f64": ("small", "float64", 0.4),
    "large-f32": ("large", "float32", 1.0),
}


def _data(sizes, batch, dtype, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], size=batch)
    return X, y


def worker_nnlearn(cfg, dtype):
    import nnlearn
    from nnlearn import nn, optim
    from nnlearn.nn.functional import cross_entropy

    if dtype == "float64":
        nnlearn.set_default_dtype("float64")
    nnlearn.manual_seed(0)
    sizes = cfg["sizes"]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    if dtype == "float32":            # the default path: convert the model, nothing global
        for p in model.parameters():
            p.data = p.data.float()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    X, y = _data(sizes, cfg["batch"], dtype)
    X, y = nnlearn.tensor(X), nnlearn.tensor(y)
    assert model(X).dtype == dtype

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
    X, y = _data(sizes, cfg["batch"], dtype)
    X, y = torch.tensor(X), torch.tensor(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()

    return _time(step, cfg)


def worker_peak(n=2048, repeats=7):
    """The best float32 GEMM rate through NumPy, in FLOP/s."""
    import numpy as np

    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(np.float32)
    B = rng.standard_normal((n, n)).astype(np.float32)
    A @ B
    best = min(_timed(lambda: A @ B) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def _time(step, cfg):
    for _ in range(cfg["warmup"]):
        step()
    times = []
    for _ in range(cfg["steps"]):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def step_flops(sizes, batch) -> int:
    """Multiply-adds (x2) of one step: the forward products, the weight
    gradients, and the input gradients of every layer but the first."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(2 * batch * a * b for a, b in pairs)
    inputs = sum(2 * batch * a * b for a, b in pairs[1:])
    return 2 * forward + inputs


def run(args):
    out = subprocess.run([sys.executable, __file__, "--worker", *args],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["value"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "peak":
            value = worker_peak()
        else:
            config, dtype = rest
            value = (worker_nnlearn if kind == "nnlearn" else worker_torch)(CONFIGS[config], dtype)
        print(json.dumps({"value": value}))
        return
    peaks = [run(["peak"]) for _ in range(3)]
    peak = statistics.median(peaks)
    print(f"float32 GEMM peak (NumPy, 2048^3): {peak / 1e9:.1f} GFLOP/s "
          f"(median of {len(peaks)}: {', '.join(f'{x / 1e9:.1f}' for x in peaks)})")
    print(f"{'MLP':<22}{'dtype':<9}{'nnlearn':>22}{'PyTorch':>22}{'ratio':>7}  target")
    for case in args.cases:
        config, dtype, target = CASES[case]
        times = {"nnlearn": [], "torch": []}
        for _ in range(args.repeats):
            for lib in ("nnlearn", "torch"):
                times[lib].append(run([lib, config, dtype]))
        med = {lib: statistics.median(t) for lib, t in times.items()}
        ratio = med["nnlearn"] / med["torch"]
        cfg = CONFIGS[config]
        sizes = "-".join(map(str, cfg["sizes"])) + f" b{cfg['batch']}"
        unit, scale = ("µs", 1e6) if config == "small" else ("ms", 1e3)

        def cell(lib):
            t = times[lib]
            return f"{med[lib] * scale:7.1f} ({min(t) * scale:.1f}-{max(t) * scale:.1f}) {unit}"

        verdict = "met" if ratio <= target else "NOT met"
        print(f"{sizes:<22}{dtype:<9}{cell('nnlearn'):>22}{cell('torch'):>22}{ratio:>7.2f}  ≤ {target:g}: {verdict}")
        if config == "large":
            flops = step_flops(cfg["sizes"], cfg["batch"])
            for lib in ("nnlearn", "torch"):
                rate = flops / med[lib]
                print(f"{'':<31}{lib}: {rate / 1e9:.1f} GFLOP/s = {rate / peak:.0%} of the GEMM peak")


if __name__ == "__main__":
    main()
