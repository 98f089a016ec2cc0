"""Is someone watching? Where a progress bar or a live widget can be shown.

Three situations matter:

``"terminal"``
    no IPython kernel (a script, pytest): text on stderr is fine.
``"live"``
    a notebook open in a front end that runs widgets: Jupyter (launched through
    ``jupyter_server``, which sets ``JPY_SESSION_NAME`` in the kernel's
    environment), Colab, VS Code.
``"static"``
    a kernel that no one looks at while it runs (the book's build, ``nbval``,
    ``nbclient``): the output is saved and shown later as HTML, so widgets
    cannot react and a progress bar is noise.

The environment variable ``NNLEARN_DISPLAY`` (``terminal``, ``live`` or
``static``) overrides the guess.
"""

from __future__ import annotations

import os
import sys

_MODES = ("terminal", "live", "static")


def display_mode() -> str:
    """``"terminal"``, ``"live"`` or ``"static"`` (see the module docstring)."""
    forced = os.environ.get("NNLEARN_DISPLAY", "").strip().lower()
    if forced in _MODES:
        return forced
    shell = None
    if "IPython" in sys.modules:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except Exception:  # a broken IPython install is not our concern here
            shell = None
    if shell is None or not hasattr(shell, "kernel"):
        return "terminal"
    if "google.colab" in sys.modules:
        return "live"
    env = os.environ
    if env.get("JPY_SESSION_NAME") or env.get("VSCODE_PID") or env.get("VSCODE_CWD"):
        return "live"
    return "static"
