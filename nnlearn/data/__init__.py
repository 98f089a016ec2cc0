"""Data for the course: data sets, splits, scaling, label coding, minibatches.

Data sets (NumPy arrays; nothing downloads)
    ``sinusoid``, ``sinusoid_curve`` (Bishop), ``gabor_data`` and the
    Gabor model ``gabor``, ``gabor_grad``, ``gabor_loss``,
    ``gabor_loss_grad``, ``gabor_loss_surface`` (Prince),
    ``xor``, ``two_moons``, ``spirals``, ``blobs``, and
    scikit-learn's handwritten ``digits``, and ``hastie_10_2`` (a sphere in
    10 dimensions: logistic regression is at chance, an MLP is not).
Augmentation
    ``augment.shift_images``, ``augment.pixel_shifts``.
Splitting and preprocessing
    ``train_val_test_split``, ``StandardScaler``, ``Whitener``,
    ``one_hot``, ``to_class_indices``.
Minibatches
    ``DataLoader``, yielding ``nnlearn.Tensor`` batches on the current backend.
"""

from . import augment
from .datasets import blobs, digits, sinusoid, sinusoid_curve, spirals, two_moons, xor
from .gabor_model import (
    GABOR_PHI,
    GaborSurface,
    gabor,
    gabor_data,
    gabor_grad,
    gabor_loss,
    gabor_loss_grad,
    gabor_loss_surface,
)
from .hastie import hastie_10_2
from .loader import DataLoader
from .preprocessing import (
    Split,
    StandardScaler,
    Whitener,
    one_hot,
    to_class_indices,
    train_val_test_split,
)

__all__ = [
    "sinusoid",
    "sinusoid_curve",
    "gabor",
    "gabor_grad",
    "gabor_loss",
    "gabor_loss_grad",
    "gabor_data",
    "gabor_loss_surface",
    "GaborSurface",
    "GABOR_PHI",
    "xor",
    "two_moons",
    "spirals",
    "blobs",
    "digits",
    "hastie_10_2",
    "augment",
    "Split",
    "train_val_test_split",
    "StandardScaler",
    "Whitener",
    "one_hot",
    "to_class_indices",
    "DataLoader",
]
