"""What a book page needs around its cells: numbers and verdicts for the prose.

A sentence that quotes a result must quote *this run's* result, or the page can
contradict its own output on another machine. So a cell hands the number (or the
verdict) to the prose by name, and the prose refers to the name::

    best = min(results, key=results.get)
    glue("best_width", best)               # in the cell
    The search picks width {glue:text}`best_width`.      <- in the Markdown

In the built book this is myst-nb's ``glue``. Where myst-nb is absent (Colab, a
terminal) there is no prose to fill in, and :func:`glue` only returns the value.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Make ``value`` quotable in the page's text as ``{glue:text}`name```.

    Parameters
    ----------
    name : str
        The key the Markdown uses; unique on the page.
    value : Any
        A number, a string (a verdict such as ``"too close to call"``), or
        anything myst-nb can display. Format numbers in the Markdown
        (``{glue:text}`loss:.3f```), so the cell keeps full precision.
    display : bool, default False
        Also show the value as the cell's output.

    Returns
    -------
    The value (a NumPy or torch scalar as a Python number), so that
    ``x = glue("x", compute())`` reads naturally.

    Notes
    -----
    Never glue inside a cell tagged ``nbval-check-output``: the glue record is an
    output at full precision, so nbval would compare machine digits.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue: name must be a Python-identifier-like string, got {name!r}")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()     # a NumPy/torch scalar: myst-nb formats only Python numbers
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:          # Colab, a terminal: nothing to fill in
        if display:
            from IPython.display import display as _display

            _display(value)
        return value
    _myst_glue(name, value, display=display)
    return value
