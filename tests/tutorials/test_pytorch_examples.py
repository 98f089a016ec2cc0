"""PyTorch's "Learning PyTorch with Examples" programs, run unchanged but for their
imports on nnlearn (numpy and torch backends) and compared with PyTorch itself.

The programs draw their initial weights at random, so nnlearn (seeded through
nnlearn.manual_seed) and PyTorch (torch.manual_seed) start from different
points. The reference is therefore the spread of PyTorch's final losses over
several seeds; nnlearn's must lie inside it (widened by half), and every run
must have learned (the loss fell by a large factor). The custom-Function
program starts from fixed values: there the numbers themselves are compared.
"""

import re

import numpy as np
import pytest

from tutorials.harness import final, run

BACKENDS = ["numpy", "torch"]
TORCH_SEEDS = (0, 1, 2)
_torch_cache = {}


def losses(out):
    """The (step, loss) pairs a program printed."""
    return [(int(a), float(b)) for a, b in re.findall(r"^(\d+) ([-\d.e+]+)$", out, flags=re.M)]


def torch_final_losses(name, replace=None):
    if name not in _torch_cache:
        _torch_cache[name] = [losses(run(name, "torch", seed=s, replace=replace)[1])[-1][1] for s in TORCH_SEEDS]
    return _torch_cache[name]


RANDOM_INIT = {
    # name: (factor the loss must fall by from the first print, replacements)
    "polynomial_tensor": (5, None),
    "polynomial_autograd": (5, None),
    "polynomial_nn": (5, None),
    "polynomial_optim": (5, None),
    "polynomial_module": (5, None),
}


@pytest.mark.parametrize("name, backend", [(n, b) for n in RANDOM_INIT for b in BACKENDS])
def test_program_learns_as_in_pytorch(name, backend):
    factor, replace = RANDOM_INIT[name]
    ns, out = run(name, "nnlearn", backend=backend, seed=0, replace=replace)
    printed = losses(out)
    assert len(printed) == 20 and printed[-1][0] == 1999
    first, last = printed[0][1], printed[-1][1]
    assert last < first / factor, f"{name} did not learn: {first} -> {last}"
    ref = torch_final_losses(name, replace)
    assert 0.5 * min(ref) <= last <= 1.5 * max(ref), f"{name}: nnlearn {last}, torch {ref}"
    assert "Result: y = " in out


@pytest.mark.parametrize("backend", BACKENDS)
def test_custom_function_program_gives_pytorchs_numbers(backend):
    """Fixed start, float32 throughout: the same losses and coefficients as PyTorch
    to float32 accuracy accumulated over 2000 steps."""
    ns, out = run("polynomial_custom_function", "nnlearn", backend=backend)
    tns, tout = run("polynomial_custom_function", "torch")
    ours, theirs = losses(out), losses(tout)
    assert [s for s, _ in ours] == [s for s, _ in theirs]
    np.testing.assert_allclose([v for _, v in ours], [v for _, v in theirs], rtol=2e-4)
    for k in "abcd":
        assert str(ns[k].dtype).endswith("float32")
        np.testing.assert_allclose(final(ns[k]), final(tns[k]), rtol=2e-4, atol=1e-5)
    assert theirs[-1][1] < theirs[0][1] / 3


def test_dynamic_net_learns_as_in_pytorch():
    """30000 steps of SGD on a random-order polynomial are shortened to 3000
    (the test's time budget); the loss must fall as PyTorch's does."""
    replace = {"range(30000)": "range(3000)"}
    ns, out = run("dynamic_net", "nnlearn", backend="numpy", seed=0, replace=replace)
    printed = losses(out)
    assert printed and printed[-1][0] == 1999
    ref = torch_final_losses("dynamic_net", replace)
    assert 0.2 * min(ref) <= printed[-1][1] <= 5 * max(ref), (printed, ref)
    assert "Result: y = " in out
