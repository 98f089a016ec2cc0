"""d2l's from-scratch chapters (PyTorch version) on nnlearn, unchanged but for their
imports, against PyTorch running the same source."""

import numpy as np
import pytest

from conftest import as_numpy
from tutorials.harness import final, run

BACKENDS = ["numpy", "torch"]
CLASSIFY = ("d2l_classification_lib",)
# The classifiers and the optimization chapter feed float32 data (as d2l's loaders
# give it) to parameters made by torch.normal/zeros: they run under PyTorch's
# default float dtype (see harness.run and test_float32_data_*).
PYTORCH_DEFAULT = "float32"


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_regression_from_scratch(backend):
    ns, out = run("d2l_linreg_scratch", backend=backend)
    tns, _ = run("d2l_linreg_scratch", "torch")
    # w and b are recovered to the noise level (0.01), as in PyTorch
    np.testing.assert_allclose(as_numpy(ns["w"]).ravel(), [2, -3.4], atol=0.01)
    assert final(ns["b"].sum()) == pytest.approx(4.2, abs=0.01)
    assert ns["epoch_losses"][-1] < 1e-3 and tns["epoch_losses"][-1] < 1e-3
    assert ns["epoch_losses"][0] > ns["epoch_losses"][-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_autograd(backend):
    ns, _ = run("d2l_autograd", backend=backend)
    for check in ("check_dot", "check_detach", "check_y", "check_control_flow"):
        assert ns[check] is True, check
    np.testing.assert_array_equal(as_numpy(ns["grad_sum"]), np.ones(4))
    np.testing.assert_array_equal(as_numpy(ns["grad_square"]), [0, 2, 4, 6])


@pytest.mark.parametrize("name", ["d2l_softmax_scratch", "d2l_mlp_scratch"])
def test_classifiers_from_scratch_learn_as_in_pytorch(name):
    ours = [run(name, backend=b, seed=s, prelude=CLASSIFY, default_dtype=PYTORCH_DEFAULT)[0]["history"][-1] for b, s in (("numpy", 0), ("torch", 1))]
    theirs = [run(name, "torch", seed=s, prelude=CLASSIFY)[0]["history"][-1] for s in (0, 1)]
    ref = np.mean(theirs, axis=0)
    for train_loss, train_acc, test_acc in ours:
        assert abs(train_loss - ref[0]) < 0.1 and abs(test_acc - ref[2]) < 0.05, (ours, theirs)
        assert test_acc > 0.75


def test_optimization_algorithms_from_scratch_learn_as_in_pytorch():
    ours = run("d2l_optimization", backend="numpy", default_dtype=PYTORCH_DEFAULT)[0]["results"]
    theirs = [run("d2l_optimization", "torch", seed=s)[0]["results"] for s in (0, 1)]
    assert len(ours) == 14
    for key, curve in ours.items():
        ref = [t[key][-1] for t in theirs]
        assert min(ref) - 0.01 < curve[-1] < max(ref) + 0.01, (key, curve[-1], ref)
        assert curve[-1] < curve[0] or key == "gd"
