r"""Data augmentation: more training examples from transformations that keep the label.

Karpathy's recipe puts it right after "get more data" among the regularizers:
a handwritten 3 moved by one pixel is still a 3, so the shifted copies teach
the network an invariance that the raw pixels do not state. Augment the
*training* split only; the validation and test images stay as they are.

:func:`shift_images` moves images by whole pixels (zeros come in at the edge),
:func:`pixel_shifts` adds the four one-pixel shifts of every image to a
training set of flattened images (such as ``data.digits()``).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["shift_images", "pixel_shifts"]

#: The four one-pixel moves: (rows down, columns right).
ONE_PIXEL = ((1, 0), (-1, 0), (0, 1), (0, -1))


def shift_images(images, dy: int, dx: int, fill: float = 0.0) -> np.ndarray:
    r"""Move images ``dy`` pixels down and ``dx`` pixels right (negative: up, left).

    .. math::

        x'_{i,j} = x_{i - dy,\, j - dx} \text{ where that pixel exists, else } \texttt{fill}

    The pixels pushed over the edge are lost; ``fill`` (the background, 0 for
    the digits) comes in on the other side. Unlike ``np.roll`` nothing wraps
    around.

    Parameters
    ----------
    images : array of shape ``(n, h, w)`` or ``(h, w)``
    dy, dx : int
    fill : float

    Returns
    -------
    ndarray of the same shape
    """
    a = np.asarray(images)
    if a.ndim not in (2, 3):
        raise ValueError(f"shift_images: images must have shape (n, h, w) or (h, w), got {a.shape}")
    for name, v in (("dy", dy), ("dx", dx)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"shift_images: {name} must be a whole number of pixels, got {v!r}")
    h, w = a.shape[-2:]
    out = np.full_like(a, fill)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src_r = slice(max(0, -dy), h - max(0, dy))
    dst_r = slice(max(0, dy), h - max(0, -dy))
    src_c = slice(max(0, -dx), w - max(0, dx))
    dst_c = slice(max(0, dx), w - max(0, -dx))
    out[..., dst_r, dst_c] = a[..., src_r, src_c]
    return out


def pixel_shifts(X, y, shape=(8, 8), shifts=ONE_PIXEL, fill: float = 0.0):
    """The training set with shifted copies of every image added.

    Parameters
    ----------
    X : array of shape ``(n, h*w)``
        Flattened images, *before* standardizing (so that ``fill`` is the
        background).
    y : array of shape ``(n,)``
    shape : (int, int)
        ``(h, w)`` of one image.
    shifts : sequence of (dy, dx)
        Default: the four one-pixel moves.

    Returns
    -------
    (X_aug, y_aug)
        ``(n·(1 + len(shifts)), h*w)`` and ``(n·(1 + len(shifts)),)``: the
        originals first, then one block per shift, in the order of ``shifts``.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    h, w = shape
    if X.ndim != 2 or X.shape[1] != h * w:
        raise ValueError(f"pixel_shifts: X must have shape (n, {h * w}) for images of shape {shape}, "
                         f"got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"pixel_shifts: {len(X)} images but {len(y)} labels")
    images = X.reshape(-1, h, w)
    blocks = [X] + [shift_images(images, dy, dx, fill).reshape(len(X), h * w) for dy, dx in shifts]
    return np.concatenate(blocks), np.concatenate([y] * (1 + len(shifts)))
