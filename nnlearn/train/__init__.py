r"""Training: the loop, its record, and instruments to look inside the network.

The loop
    :func:`fit` (minibatch gradient descent with validation, metrics,
    learning-rate schedules, early stopping, gradient clipping, a progress bar
    and callbacks) returns a :class:`History`; :func:`evaluate` and
    :func:`predict` use a trained model; :func:`standardized_split` prepares
    data without leaking validation or test statistics.
When training fails
    a non-finite loss raises :class:`TrainingDiverged`, naming the epoch and
    batch, with the model left at its last finite weights.
Instruments
    :func:`layer_statistics` (per-layer activations, pre-activations and
    back-propagated gradients on one batch, at initialization or any time),
    and the callbacks :class:`GradientNormRecorder` and
    :class:`ActivationStatsRecorder` that record them during training;
    :class:`EarlyStopping`.

Plots of all of these are in :mod:`nnlearn.viz`.

Example
-------
.. code-block:: python

    from nnlearn import data, nn, optim, losses, train

    split, scaler = train.standardized_split(*data.digits(), seed=0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    history = train.fit(model, losses.cross_entropy,
                        optim.Adam(model.parameters(), lr=1e-3),
                        split.train, epochs=30, batch_size=32, val_data=split.val,
                        metrics=["accuracy"], early_stopping=5)
    train.evaluate(model, losses.cross_entropy, split.test, metrics=["accuracy"])
"""

from .callbacks import (
    ActivationStatsRecorder,
    Callback,
    EarlyStopping,
    GradientNormRecorder,
    LambdaCallback,
    TrainState,
)
from .history import History
from .layers import LayerRecord, LayerStats, layer_statistics
from .loop import (
    DivergenceWarning,
    TrainingDiverged,
    clip_grad_norm_,
    evaluate,
    fit,
    predict,
    standardized_split,
)
from .metrics import METRICS

__all__ = [
    "fit",
    "evaluate",
    "predict",
    "standardized_split",
    "History",
    "TrainingDiverged",
    "DivergenceWarning",
    "clip_grad_norm_",
    "Callback",
    "LambdaCallback",
    "TrainState",
    "EarlyStopping",
    "GradientNormRecorder",
    "ActivationStatsRecorder",
    "layer_statistics",
    "LayerStats",
    "LayerRecord",
    "METRICS",
]
