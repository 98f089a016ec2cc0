"""nnlearn.data.augment: pixel shifts against np.roll with the wrapped edge zeroed."""

import numpy as np
import pytest

from nnlearn.data import digits
from nnlearn.data.augment import ONE_PIXEL, pixel_shifts, shift_images


@pytest.mark.parametrize("dy, dx", [(1, 0), (-1, 0), (0, 1), (0, -1), (2, -3), (0, 0)])
def test_shift_equals_roll_with_the_wrapped_pixels_zeroed(dy, dx):
    rng = np.random.default_rng(0)
    imgs = rng.integers(1, 17, size=(3, 8, 8)).astype(float)
    ref = np.roll(imgs, (dy, dx), axis=(1, 2))
    if dy > 0:
        ref[:, :dy] = 0
    if dy < 0:
        ref[:, dy:] = 0
    if dx > 0:
        ref[:, :, :dx] = 0
    if dx < 0:
        ref[:, :, dx:] = 0
    np.testing.assert_array_equal(shift_images(imgs, dy, dx), ref)


def test_shift_there_and_back_keeps_the_interior_and_loses_the_edge():
    img = np.arange(1, 26, dtype=float).reshape(5, 5)
    back = shift_images(shift_images(img, 0, 1), 0, -1)
    np.testing.assert_array_equal(back[:, :4], img[:, :4])
    assert np.all(back[:, 4] == 0)
    assert np.all(shift_images(img, 5, 0) == 0)
    with pytest.raises(TypeError):
        shift_images(img, 0.5, 0)


def test_pixel_shifts_of_digits_keep_labels_and_ink():
    X, y = digits()
    Xa, ya = pixel_shifts(X[:50], y[:50])
    assert Xa.shape == (250, 64) and ya.shape == (250,)
    np.testing.assert_array_equal(Xa[:50], X[:50])
    np.testing.assert_array_equal(ya, np.tile(y[:50], 5))
    # the digits have blank borders almost everywhere: a one-pixel shift keeps most of the ink
    ink = Xa.reshape(5, 50, 64).sum(axis=2)
    assert np.all(ink[1:] <= ink[0] + 1e-12)
    assert np.median(ink[1:] / ink[0]) > 0.9
    right = Xa[50 * (1 + ONE_PIXEL.index((0, 1))):][:50].reshape(50, 8, 8)
    np.testing.assert_array_equal(right[:, :, 1:], X[:50].reshape(50, 8, 8)[:, :, :-1])
    with pytest.raises(ValueError, match="shape"):
        pixel_shifts(X[:, :63], y)
