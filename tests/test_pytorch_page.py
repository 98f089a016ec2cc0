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


@pytest.mark.parametrize("torch_name, nnlearn_name", [pytest.param(*r, id=r[1]) for r in table_rows()])
def test_every_name_exists_in_both_libraries(torch_name, nnlearn_name):
    assert torch_name.startswith("torch.") and nnlearn_name.startswith("nnlearn.")
    resolve(torch_name)
    resolve(nnlearn_name)
    assert torch_name.split(".")[-1] == nnlearn_name.split(".")[-1], "the same name in both"


def test_python_numbers_default_to_float64():
    assert nnlearn.tensor([1.0]).dtype == np.float64 and torch.tensor([1.0]).dtype == torch.float32
    assert nn.Linear(2, 2).weight.dtype == np.float64


def test_arrays_keep_their_dtype():
    assert nnlearn.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert nnlearn.tensor([1.0], dtype=nnlearn.float32).dtype == np.float32


def test_float32_data_into_a_default_model_raises_and_names_the_way_out():
    x = np.ones((4, 3), np.float32)
    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="float32 and float64.*set_default_dtype"):
        model(nnlearn.tensor(x))
    old = nnlearn.get_default_dtype()
    nnlearn.set_default_dtype(nnlearn.float32)
    try:
        model = nn.Linear(3, 2)
        assert model(nnlearn.tensor(x)).dtype == nnlearn.float32
    finally:
        nnlearn.set_default_dtype(old)
    tmodel = torch.nn.Linear(3, 2)
    assert tmodel(torch.tensor(x)).dtype == torch.float32


def test_promotion_and_its_two_extensions():
    t32 = nnlearn.tensor(np.ones(3, np.float32))
    tt32 = torch.tensor(np.ones(3, np.float32))
    # as PyTorch: Python and NumPy scalars are weak, 0-d tensors give way
    for other in (0.1, np.float64(0.1)):
        assert (t32 * other).dtype == nnlearn.float32 and (tt32 * other).dtype == torch.float32
    assert (t32 * nnlearn.tensor(0.1)).dtype == nnlearn.float32
    assert (t32 + nnlearn.tensor(np.ones(3))).dtype == nnlearn.float64
    with pytest.raises(TypeError, match="same dtype"):
        nnlearn.tensor(np.ones((2, 3), np.float32)) @ nnlearn.tensor(np.ones((3, 2)))
    # extension 1: an array takes the tensor's float dtype (PyTorch: float64)
    assert (t32 + np.ones(3)).dtype == nnlearn.float32
    assert (tt32 + torch.tensor(np.ones(3))).dtype == torch.float64
    # extension 2: an integer matrix operand is converted (PyTorch raises)
    ints = np.arange(6).reshape(2, 3)
    prod = nnlearn.tensor(ints) @ nnlearn.tensor(np.ones((3, 2), np.float32))
    assert prod.dtype == nnlearn.float32
    np.testing.assert_array_equal(np.asarray(prod), ints @ np.ones((3, 2)))
    with pytest.raises(RuntimeError):
        torch.tensor(ints) @ torch.ones(3, 2)
    # the restriction: a bool tensor to a bool power raises; PyTorch returns bool for a Python
    # bool exponent and raises too for a bool tensor exponent (the page says both)
    with pytest.raises(TypeError, match="bool"):
        nnlearn.tensor([True]) ** True
    with pytest.raises(TypeError, match="bool"):
        nnlearn.tensor([True]) ** nnlearn.tensor([True])
    assert (torch.tensor([True]) ** True).dtype == torch.bool
    with pytest.raises(RuntimeError, match="Bool"):
        torch.tensor([True]) ** torch.tensor([True])


def test_out_does_not_resize():
    a = nnlearn.ones(2, 3)
    with pytest.raises(RuntimeError, match="does not resize"):
        nnlearn.mul(a, a, out=nnlearn.zeros(3, 2))
    t = torch.zeros(3, 2, dtype=torch.float64)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        torch.mul(torch.ones(2, 3, dtype=torch.float64), 1.0, out=t)
    assert tuple(t.shape) == (2, 3)


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
    # r10d-1: the values are the backend's arrays, not nnlearn Tensors (PyTorch: Tensors);
    # tensor methods fail loudly on them, np.asarray works
    assert type(sd["0.weight"]) is np.ndarray and not isinstance(sd["0.weight"], nnlearn.Tensor)
    assert isinstance(tmodel.state_dict()["0.weight"], torch.Tensor)
    with pytest.raises(AttributeError):
        sd["0.weight"].clone()
    with pytest.raises(TypeError):
        sd["0.weight"].size()
    opt = nnlearn.optim.Adam(model.parameters())
    model[0].weight.grad = nnlearn.zeros_like(model[0].weight)
    opt.step()
    state = opt.state_dict()["state"][0]
    assert type(state["step"]) is int and type(state["exp_avg"]) is np.ndarray
    with nnlearn.backend.use("torch"):
        assert isinstance(nn.Linear(2, 2).state_dict()["weight"], torch.Tensor)


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
