r"""Operations as functions, with PyTorch's names (``torch.nn.functional``).

Import it as PyTorch code does::

    import nnlearn.nn.functional as F
    loss = F.cross_entropy(model(X), y)

Each function computes with :class:`~nnlearn.Tensor` operations, so its
gradient comes from the derivatives written once in :mod:`nnlearn._tensor`;
the losses themselves are documented in :mod:`nnlearn.losses`.
"""

from .._tensor import linear
from ..losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)

__all__ = [
    "linear",
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "log_softmax",
    "softmax",
]
