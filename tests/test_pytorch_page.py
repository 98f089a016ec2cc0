"""The nnlearn <-> PyTorch page (book/pytorch.md) against the code: every name in
its tables exists in both libraries, and each deliberate difference it lists
holds."""

import importlib
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import backend, nn, optim

PAGE = Path(__file__).resolve().parents[1] / "book" / "pytorch.md"


def table_rows():
    rows = []
    for line in PAGE.read_text().splitlines():
        m = re.match(r"^\| `([\w.]+)` \| `([\w.]+)` \|", line)
        if m:
            rows.append(m.groups())
    return rows


def resolve(dotted: str):
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[: i + 1]))
    return obj


def test_the_page_has_tables():
    rows = table_rows()
    assert len(rows) > 120
    assert len({n for _, n in rows}) == len(rows), "a name is listed twice"


# The areas of the page whose names the `tensor` branch adds (creation functions,
# dtypes and devices, Tensor methods, autograd, nn.functional): a name missing
# there is an expected failure until that branch is merged; everywhere else a
# missing name fails.
PENDING_AREAS = ("Creating tensors", "Types and devices", "Tensor operations and autograd",
                 "Functions: `torch.nn.functional`")


def area_of(nnlearn_name):
    area = None
    for line in PAGE.read_text().splitlines():
        if line.startswith("### "):
            area = line[4:]
        elif f"| `{nnlearn_name}` |" in line:
            return area
    return None


def exists(dotted):
    try:
        resolve(dotted)
        return True
    except (AttributeError, ImportError):
        return False


def row_param(torch_name, nnlearn_name):
    if area_of(nnlearn_name) in PENDING_AREAS and not exists(nnlearn_name):
        return pytest.param(torch_name, nnlearn_name, id=nnlearn_name, marks=pytest.mark.xfail(
            strict=True, reason="added by the tensor branch, not merged yet"))
    return pytest.param(torch_name, nnlearn_name, id=nnlearn_name)


@pytest.mark.parametrize("torch_name, nnlearn_name", [row_param(*r) for r in table_rows()])
def test_every_name_exists_in_both_libraries(torch_name, nnlearn_name):
    assert torch_name.startswith("torch.") and nnlearn_name.startswith("nnlearn.")
    resolve(torch_name)
    resolve(nnlearn_name)
    assert torch_name.split(".")[-1] == nnlearn_name.split(".")[-1], "the same name in both"


def test_python_numbers_default_to_float64():
    assert nnlearn.tensor([1.0]).dtype == np.float64 and torch.tensor([1.0]).dtype == torch.float32
    assert nn.Linear(2, 2).weight.dtype == np.float64


@pytest.mark.xfail(not hasattr(nnlearn, "float32"), strict=True,
                   reason="dtypes that stay put: the tensor branch, not merged yet")
def test_arrays_keep_their_dtype():
    assert nnlearn.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert nnlearn.tensor([1.0], dtype=nnlearn.float32).dtype == np.float32


def test_one_generator_gives_the_same_numbers_on_every_backend():
    draws = []
    for name in ("numpy", "torch"):
        with backend.use(name):
            nnlearn.manual_seed(3)
            draws.append(np.asarray(nn.Linear(3, 2).weight))
    np.testing.assert_array_equal(*draws)


def test_cpu_keeps_the_cpu_backend():
    model = nn.Linear(2, 2)
    assert model.to("cpu").weight.backend.name == "numpy"
    assert model.to("torch").to("cpu").weight.backend.name == "torch"


def test_state_dict_is_a_copy_with_torchs_keys():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    sd = model.state_dict()
    assert list(sd) == list(tmodel.state_dict())
    before = np.array(np.asarray(model[0].weight))
    sd["0.weight"][...] = 7.0
    np.testing.assert_array_equal(np.asarray(model[0].weight), before)


def test_loading_is_all_or_nothing():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    before = np.array(np.asarray(model[0].weight))
    bad = {k: np.asarray(v) + 1 for k, v in model.state_dict().items()}
    bad["1.weight"] = np.zeros((1, 4))
    with pytest.raises(RuntimeError, match="size mismatch for 1.weight"):
        model.load_state_dict(bad)
    np.testing.assert_array_equal(np.asarray(model[0].weight), before)


def test_checkpoints_are_not_pickles():
    buf = io.BytesIO()
    nnlearn.save({"w": np.ones(2)}, buf)
    assert buf.getvalue()[:2] == b"PK"                       # a zip (npz) archive
    assert b"structure.npy" in buf.getvalue()


@pytest.mark.parametrize("make, error", [
    (lambda: nn.BatchNorm1d(4, momentum=5), ValueError),
    (lambda: nn.BatchNorm1d(4, eps=-1), ValueError),
    (lambda: optim.lr_scheduler.LinearLR(optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1), total_iters=0), ValueError),
    (lambda: optim.lr_scheduler.LambdaLR(optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1), lambda e: None), TypeError),
    (lambda: optim.SGD([nn.Parameter(np.zeros(1))], lr="0.1"), TypeError),
    (lambda: optim.Adam([nn.Parameter(np.zeros(1))], betas=0.9), TypeError),
])
def test_arguments_nnlearn_refuses(make, error):
    with pytest.raises(error):
        make()


def test_torch_accepts_what_nnlearn_refuses():
    """The page says PyTorch accepts these; if PyTorch starts refusing them, the page must change."""
    torch.nn.BatchNorm1d(4, momentum=5)
    torch.optim.lr_scheduler.LinearLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), total_iters=0)


def test_dataloader_accepts_and_ignores_workers():
    from nnlearn.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(np.arange(6.0))
    assert [len(b[0]) for b in DataLoader(ds, batch_size=4, num_workers=2)] == [4, 2]
