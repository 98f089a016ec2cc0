"""nnlearn.utils.data against torch.utils.data: the same batches, lengths and collation."""

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import nnlearn
from nnlearn import Tensor, backend
from nnlearn.utils.data import DataLoader, Dataset, TensorDataset, default_collate

from conftest import as_numpy

X = np.arange(30, dtype=np.float64).reshape(10, 3)
Y = np.arange(10) % 3


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (4, True), (10, False),
                                                   (32, False), (32, True)])
def test_batches_in_order_equal_torchs(backend_name, batch_size, drop_last):
    ds, tds = TensorDataset(Tensor(X), Tensor(Y)), tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    dl, tdl = DataLoader(ds, batch_size=batch_size, drop_last=drop_last), tud.DataLoader(tds, batch_size, drop_last=drop_last)
    assert len(dl) == len(tdl) and len(dl.dataset) == len(tdl.dataset) == 10
    batches, tbatches = list(dl), list(tdl)
    assert len(batches) == len(tbatches)
    for (xb, yb), (txb, tyb) in zip(batches, tbatches):
        assert isinstance(xb, Tensor) and xb.backend.name == backend_name and not xb.requires_grad
        np.testing.assert_array_equal(as_numpy(xb), txb.numpy())
        np.testing.assert_array_equal(as_numpy(yb), tyb.numpy())
        assert "int" in str(yb.dtype)


def test_shuffle_visits_every_sample_once_and_follows_the_seed(backend_name):
    ds = TensorDataset(X, Y)
    nnlearn.manual_seed(0)
    epoch1 = np.concatenate([as_numpy(yb) * 0 + as_numpy(xb)[:, 0] / 3 for xb, yb in DataLoader(ds, 4, shuffle=True)])
    epoch2 = np.concatenate([as_numpy(xb)[:, 0] / 3 for xb, _ in DataLoader(ds, 4, shuffle=True)])
    assert sorted(epoch1) == list(range(10)) and sorted(epoch2) == list(range(10))
    assert list(epoch1) != list(epoch2)                     # a new order each epoch
    nnlearn.manual_seed(0)
    again = np.concatenate([as_numpy(xb)[:, 0] / 3 for xb, _ in DataLoader(ds, 4, shuffle=True)])
    np.testing.assert_array_equal(again, epoch1)
    a = [as_numpy(xb) for xb, _ in DataLoader(ds, 4, shuffle=True, seed=5)]
    b = [as_numpy(xb) for xb, _ in DataLoader(ds, 4, shuffle=True, seed=5)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_tensor_dataset_indexing_like_torch():
    ds, tds = TensorDataset(X, Y), tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    for index in (3, -1, slice(2, 5), np.array([0, 7, 7])):
        ours, theirs = ds[index], tds[index]
        assert len(ours) == len(theirs) == 2
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(as_numpy(o), t.numpy())
    assert len(ds) == 10
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(X, Y[:5])
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y[:5]))


class Squares(Dataset):
    """A map-style data set as the tutorials write them: one (x, label) per index."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.full((2, 2), float(i)), i % 2


class TorchSquares(tud.Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.full((2, 2), float(i)), i % 2


def test_custom_dataset_is_collated_like_torch(backend_name):
    dl, tdl = DataLoader(Squares(), batch_size=3), tud.DataLoader(TorchSquares(), batch_size=3)
    for (xb, yb), (txb, tyb) in zip(dl, tdl):
        assert xb.shape == tuple(txb.shape) and xb.backend.name == backend_name
        np.testing.assert_array_equal(as_numpy(xb), txb.numpy())
        np.testing.assert_array_equal(as_numpy(yb), tyb.numpy())
        assert "int64" in str(yb.dtype) and "int64" in str(tyb.dtype)
    samples = [(Tensor(np.ones(2)), 1.5, "a"), (Tensor(np.zeros(2)), 2.5, "b")]
    xb, fb, sb = default_collate(samples)
    np.testing.assert_array_equal(as_numpy(xb), [[1, 1], [0, 0]])
    np.testing.assert_array_equal(as_numpy(fb), tud.default_collate([1.5, 2.5]).numpy())
    assert sb == ["a", "b"]
    assert default_collate([{"a": 1}, {"a": 2}])["a"].tolist() == [1, 2]
    unbatched = list(DataLoader(Squares(), batch_size=None))
    assert len(unbatched) == 7 and unbatched[3][1] == 3 % 2


def test_arguments_like_torch():
    ds = TensorDataset(X, Y)
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(TypeError, match="TensorDataset"):
        DataLoader(5)
    assert len(DataLoader(ds)) == 10                               # batch_size=1 by default, as in PyTorch
    assert len(DataLoader(ds, batch_size=3, num_workers=4, pin_memory=True)) == 4
    assert "DataLoader(TensorDataset of 10 samples" in repr(DataLoader(ds))
