"""PyTorch's "What is torch.nn really?" (up to its convolutional part) on nnlearn,
unchanged but for its imports, against PyTorch running the same source."""

import numpy as np
import pytest

from tutorials.harness import run


@pytest.mark.xfail(strict=True, reason="float32 data (as MNIST and torchvision give it) meet float64 parameters (nnlearn's default for tensors made from Python numbers) and matmul/linear refuse mixed dtypes: see the report")
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_nn_tutorial_learns_as_in_pytorch(backend):
    ns, out = run("nn_tutorial", backend=backend)
    tns, tout = run("nn_tutorial", "torch")
    # the untrained scratch model: log(10) loss, chance accuracy
    assert ns["scratch_start"][0] == pytest.approx(np.log(10), abs=0.5)
    # every stage learned, as PyTorch's did: the last batch's loss near zero
    for key in ("scratch_end", "module_end", "linear_end"):
        ours = ns[key][0] if isinstance(ns[key], tuple) else ns[key]
        theirs = tns[key][0] if isinstance(tns[key], tuple) else tns[key]
        assert ours < 0.3 and theirs < 0.3, (key, ours, theirs)
    # the final fit(): validation loss and accuracy within the seed-to-seed spread
    assert abs(ns["final_val_loss"] - tns["final_val_loss"]) < 0.15
    assert abs(ns["final_val_accuracy"] - tns["final_val_accuracy"]) < 0.06
    assert ns["final_val_accuracy"] > 0.7
