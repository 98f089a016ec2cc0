"""Run a tutorial program under nnlearn or under PyTorch, from the same source.

Each program in ``programs/`` is written with nnlearn's imports between the
markers ``# --- imports ---`` and ``# --- end imports ---``; those lines are
the only ones that differ from PyTorch code. :func:`run` executes the text as
it is (nnlearn, on a chosen backend) or with the import block rewritten to
PyTorch's (``import nnlearn as torch`` -> ``import torch`` ...), seeds every
generator, captures what the program prints and returns its global
variables, so a test can compare the two runs.

Offline stand-ins replace downloads: the program imports ``standins`` (a data
set of scikit-learn's digits shaped like MNIST / Fashion-MNIST, the airfoil
data of d2l as a synthetic regression set), which :func:`run` builds for the
library the program runs on.
"""

from __future__ import annotations

import contextlib
import functools
import io
import random
import re
import sys
import types
from pathlib import Path

import numpy as np

PROGRAMS = Path(__file__).parent / "programs"

# the only differences between an nnlearn program and its PyTorch original
TORCH_IMPORTS = [
    (r"^import nnlearn as torch$", "import torch"),
    (r"^from nnlearn import nn$", "from torch import nn"),
    (r"^import nnlearn\.nn as nn$", "import torch.nn as nn"),
    (r"^import nnlearn\.nn\.functional as F$", "import torch.nn.functional as F"),
    (r"^from nnlearn import optim$", "from torch import optim"),
    (r"^from nnlearn\.utils\.data import (.*)$", r"from torch.utils.data import \1"),
    (r"^from nnlearn\.utils import data$", "from torch.utils import data"),
]


def source(name: str, lib: str) -> str:
    text = (PROGRAMS / f"{name}.py").read_text()
    start, end = text.index("# --- imports ---"), text.index("# --- end imports ---")
    block = text[start:end]
    if lib == "torch":
        lines = []
        for line in block.splitlines():
            for pattern, repl in TORCH_IMPORTS:
                line = re.sub(pattern, repl, line)
            assert "nnlearn" not in line, f"{name}: no PyTorch form for the import {line!r}"
            lines.append(line)
        block = "\n".join(lines) + "\n"
    assert "nnlearn" not in text[end:], f"{name}: nnlearn is named outside the import block"
    return text[:start] + block + text[end:]


def run(name: str, lib: str = "nnlearn", backend: str = "numpy", seed: int = 0, replace=None, prelude=(),
        default_dtype: str | None = None):
    """Execute program ``name`` under ``lib`` ("nnlearn" or "torch"); return
    ``(globals, printed text)``. ``replace`` maps substrings of the program to
    their replacements (used to shorten a loop; the test says so). ``prelude``
    names programs executed first in the same namespace (library code, such as
    d2l's helpers).

    ``default_dtype="float32"`` runs an nnlearn program with PyTorch's default
    float dtype (``nnlearn.set_default_dtype``, restored afterwards), the
    setting, outside the program's text, under which PyTorch code that feeds
    float32 data (MNIST, torchvision) to freshly built parameters runs: with
    nnlearn's own default (float64) the parameters are float64 and the first
    matrix product raises, as PyTorch does for mixed dtypes."""
    import nnlearn
    import torch

    text = source(name, lib)
    for old, new in (replace or {}).items():
        assert old in text, f"{name}: {old!r} not in the program"
        text = text.replace(old, new)
    sys.modules["standins"] = _standins(lib)
    random.seed(seed)
    np.random.seed(seed)
    nnlearn.manual_seed(seed)
    torch.manual_seed(seed)
    ns = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out), nnlearn.backend.use(backend), _default_dtype(default_dtype):
        for lib_name in prelude:
            exec(compile(source(lib_name, lib), str(PROGRAMS / f"{lib_name}.py"), "exec"), ns)
        exec(compile(text, str(PROGRAMS / f"{name}.py"), "exec"), ns)
    return ns, out.getvalue()


@contextlib.contextmanager
def _default_dtype(name):
    import nnlearn

    if name is None:
        yield
        return
    old = nnlearn.get_default_dtype()
    nnlearn.set_default_dtype(name)
    try:
        yield
    finally:
        nnlearn.set_default_dtype(old)


def final(value) -> float:
    """A number printed or kept by a program (a float, a 0-d tensor of either library)."""
    return float(value.item() if hasattr(value, "item") else value)


# --------------------------------------------------------------------------
# Offline stand-ins
# --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images, d.target


def digits_28(train: bool):
    """scikit-learn's 8x8 digits, scaled to [0, 1] and enlarged to 28x28
    (each pixel 3x3, 2 pixels of border), split 1500 / 297 like a train and a
    test set. Images float32 of shape (n, 28, 28), labels int64."""
    images, target = _digits()
    images = (images / 16.0).astype(np.float32)
    big = np.kron(images, np.ones((1, 3, 3), dtype=np.float32))
    big = np.pad(big, ((0, 0), (2, 2), (2, 2)))
    labels = target.astype(np.int64)
    sl = slice(0, 1500) if train else slice(1500, None)
    return big[sl], labels[sl]


def airfoil_like(n: int = 600):
    """A stand-in for d2l's airfoil data (there 1500 rows of 5 features and a
    target; here 600 rows, to keep the test short): a fixed noisy
    linear-plus-quadratic regression problem that, like the airfoil data, a
    linear model fits to a squared loss of about 0.25 after standardizing."""
    rng = np.random.default_rng(42)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0], np.float32) + 0.3 * X[:, 0] ** 2
    y = (y + 3.6 * rng.standard_normal(n)).astype(np.float32)
    return X, (y - y.mean()) / y.std()


def _standins(lib: str):
    if lib == "torch":
        import torch as T
        from torch.utils.data import Dataset, TensorDataset
    else:
        import nnlearn as T
        from nnlearn.utils.data import Dataset, TensorDataset

    class ImageSet(Dataset):
        """FashionMNIST(root, train, download, transform) look-alike: (image, label)
        pairs with images of shape (1, 28, 28), as ToTensor gives them."""

        def __init__(self, root="data", train=True, download=False, transform=None, target_transform=None):
            self.images, self.labels = digits_28(train)
            self.transform, self.target_transform = transform, target_transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            img, label = self.images[i], int(self.labels[i])
            if self.transform is not None:
                img = self.transform(img)
            if self.target_transform is not None:
                label = self.target_transform(label)
            return img, label

    def ToTensor():
        return lambda img: T.tensor(img[None, :, :])

    mod = types.ModuleType("standins")
    mod.datasets = types.SimpleNamespace(FashionMNIST=ImageSet, MNIST=ImageSet)
    mod.ToTensor = ToTensor
    mod.digits_28 = digits_28

    def mnist_arrays():
        """(x_train, y_train), (x_valid, y_valid): flattened 784-pixel rows (float32)
        and int64 labels, as in the MNIST pickle of the nn tutorial."""
        xt, yt = digits_28(True)
        xv, yv = digits_28(False)
        return (xt.reshape(len(xt), -1), yt), (xv.reshape(len(xv), -1), yv)

    mod.mnist_arrays = mnist_arrays

    def load_data_fashion_mnist(batch_size):
        """d2l.load_data_fashion_mnist look-alike: train and test DataLoaders."""
        from_lib = sys.modules["torch.utils.data" if lib == "torch" else "nnlearn.utils.data"]
        xt, yt = digits_28(True)
        xv, yv = digits_28(False)
        train = TensorDataset(T.tensor(xt[:, None]), T.tensor(yt))
        test = TensorDataset(T.tensor(xv[:, None]), T.tensor(yv))
        return (from_lib.DataLoader(train, batch_size, shuffle=True),
                from_lib.DataLoader(test, batch_size, shuffle=False))

    mod.load_data_fashion_mnist = load_data_fashion_mnist
    mod.airfoil_like = airfoil_like
    return mod
