"""PyTorch's "What is torch.nn really?" (up to its convolutional part) on nnlearn,
unchanged but for its imports, against PyTorch running the same source."""

import numpy as np
import pytest

from tutorials.harness import run

# The tutorial feeds float32 data (as MNIST gives it) to parameters it builds itself:
# it runs under PyTorch's default float dtype (see harness.run and test_float32_data_*).
PYTORCH_DEFAULT = "float32"


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_nn_tutorial_learns_as_in_pytorch(backend):
    ns, out = run("nn_tutorial", backend=backend, default_dtype=PYTORCH_DEFAULT)
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


@pytest.mark.parametrize("name, prelude", [
    ("nn_tutorial", ()), ("optimization", ()), ("d2l_softmax_scratch", ("d2l_classification_lib",))])
def test_float32_data_under_nnlearns_float64_default_raises_and_says_why(name, prelude):
    """Under nnlearn's own default (float64) the parameters these programs build
    are float64 while their data is float32: the first matrix product raises (as
    PyTorch does for mixed dtypes) and names the way out, instead of silently
    running in float64."""
    with pytest.raises(TypeError, match=r"same dtype.*float32 and float64.*set_default_dtype"):
        run(name, backend="numpy", prelude=prelude)
