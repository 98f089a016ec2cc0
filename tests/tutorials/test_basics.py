"""PyTorch's "Learn the Basics" tutorials (tensors, autograd, build the model, the
optimization loop) run on nnlearn, unchanged but for their imports, and compared
with PyTorch running the same source."""

import re

import numpy as np
import pytest

from conftest import as_numpy
from tutorials.harness import final, run

BACKENDS = ["numpy", "torch"]



@pytest.mark.parametrize("backend", BACKENDS)
def test_tensors_tutorial(backend):
    ns, out = run("tensorqs", backend=backend)
    tns, tout = run("tensorqs", "torch")
    for name in ("x_data", "x_np", "x_ones", "tensor", "t1", "y1", "y2", "y3", "z1", "z2", "z3"):
        np.testing.assert_array_equal(as_numpy(ns[name]), as_numpy(tns[name]), err_msg=name)
    assert ns["agg_item"] == tns["agg_item"] == 12.0 and isinstance(ns["agg_item"], float)
    assert tuple(ns["rand_tensor"].shape) == (2, 3) and 0 <= as_numpy(ns["rand_tensor"]).min()
    assert str(ns["x_rand"].dtype).endswith("float32")
    # the NumPy bridge: from_numpy shares memory, as in PyTorch
    np.testing.assert_array_equal(as_numpy(ns["t"]), [2, 2, 2, 2, 2])
    # tensor -> numpy: PyTorch's n follows t.add_(1) (shared memory)
    np.testing.assert_array_equal(as_numpy(tns["n"]), as_numpy(ns["n"]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_autograd_tutorial(backend):
    ns, out = run("autogradqs", backend=backend)
    tns, tout = run("autogradqs", "torch")
    # the gradients of BCE-with-logits of (x @ w + b) at nnlearn's own random w, b, by hand
    w, b = as_numpy(ns["w"]), as_numpy(ns["b"])
    z = np.ones(5) @ w + b
    dz = 1 / (1 + np.exp(-z)) / 3                    # (sigmoid(z) - y) / 3 with y = 0
    np.testing.assert_allclose(as_numpy(ns["w"].grad), np.outer(np.ones(5), dz), rtol=1e-5)
    np.testing.assert_allclose(as_numpy(ns["b"].grad), dz, rtol=1e-5)
    assert "Gradient function for z = " in out and "None" not in out.splitlines()[0]
    assert out.split("\n")[-0:] and [line for line in out.splitlines() if line in ("True", "False")] == \
        [line for line in tout.splitlines() if line in ("True", "False")] == ["True", "False", "False"]
    for name in ("first", "second"):
        np.testing.assert_array_equal(as_numpy(ns[name]), as_numpy(tns[name]), err_msg=name)
    np.testing.assert_array_equal(as_numpy(ns["inp"].grad), as_numpy(tns["inp"].grad))


@pytest.mark.parametrize("backend", BACKENDS)
def test_build_model_tutorial(backend):
    ns, out = run("buildmodel", backend=backend)
    tns, tout = run("buildmodel", "torch")
    assert repr(ns["model"]) == repr(tns["model"])
    assert [n for n, _ in ns["model"].named_parameters()] == [n for n, _ in tns["model"].named_parameters()]
    for name in ("logits", "pred_probab", "flat_image", "hidden1"):
        assert tuple(ns[name].shape) == tuple(tns[name].shape), name
    np.testing.assert_allclose(as_numpy(ns["pred_probab"]).sum(1), 1, rtol=1e-6)
    sizes = re.findall(r"Size: (.*?) \|", out)
    assert len(sizes) == 6
    assert "Predicted class: " in out


def test_optimization_loop_tutorial_learns_as_in_pytorch():
    """Ten epochs of SGD(lr=1e-3) on the stand-in (1500 digits, no shuffling):
    the test loss falls by the same amount as PyTorch's, across seeds. (float32
    data into the model it builds: run under PyTorch's default float dtype.)"""
    ours = [run("optimization", backend=b, seed=s, default_dtype="float32")[0]["results"] for b, s in (("numpy", 0), ("torch", 1))]
    theirs = [run("optimization", "torch", seed=s)[0]["results"] for s in (0, 1)]
    ref = np.mean([loss for loss, _ in theirs])
    for loss, acc in ours:
        assert loss < 2.29                                 # it learned (chance: ln 10 = 2.303)
        assert abs(loss - ref) < 0.015, (ours, theirs)
