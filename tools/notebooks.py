"""Keep every MyST-markdown notebook and its ``.ipynb`` twin in step.

The ``.md`` files in ``book/`` and ``notebooks/`` are the sources: they diff like
prose and the book is built from them. Colab opens only ``.ipynb``, so each
``.md`` has an ``.ipynb`` twin beside it, made by this tool:

1. jupytext reads the ``.md`` into a notebook;
2. the Colab install cell (written once, below) is put first;
3. the notebook is executed, so the twin carries outputs that readers see in
   Colab before running anything, and that nbval compares against a fresh run
   for the cells marked ``# NBVAL_CHECK_OUTPUT``.

Usage (from the repository root)::

    python tools/sync_notebooks.py                  # every twin
    python tools/sync_notebooks.py book/ch01_chain_rule.md
    python tools/sync_notebooks.py --check          # fail if any twin is stale

The test suite calls :func:`stale_twins` so that editing one file and not the
other fails CI.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("book", "notebooks")
INSTALL_TAG = "colab-install"


def repository_url() -> str:
    """The repository URL, read from its one home: ``_config.yml``."""
    text = (ROOT / "_config.yml").read_text()
    m = re.search(r"^repository:\s*\n(?:\s+.*\n)*?\s+url:\s*(\S+)", text, re.M)
    if not m:
        raise RuntimeError("_config.yml has no repository: url:")
    return m.group(1)


def install_cell_source(url: str | None = None) -> str:
    """The first cell of every ``.ipynb``: installs nnlearn in Colab, and only there."""
    url = url or repository_url()
    return (
        "# Colab only: install nnlearn from the course repository (a no-op anywhere else).\n"
        "import sys\n"
        "if \"google.colab\" in sys.modules:\n"
        "    import subprocess\n"
        f"    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", \"git+{url}\"], check=True)"
    )


def is_myst_notebook(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")[:400]
    return head.startswith("---") and "jupytext:" in head and "kernelspec:" in head


def sources() -> list[Path]:
    """Every MyST-markdown notebook in the repository."""
    out = []
    for d in NOTEBOOK_DIRS:
        out += [p for p in sorted((ROOT / d).glob("*.md")) if is_myst_notebook(p)]
    return out


def twin_of(md: Path) -> Path:
    return md.with_suffix(".ipynb")


def notebook_from_markdown(md: Path) -> nbformat.NotebookNode:
    """The ``.md`` as a notebook with the install cell first (not executed)."""
    nb = jupytext.read(md)
    cell = nbformat.v4.new_code_cell(install_cell_source())
    cell.metadata["tags"] = ["remove-cell", INSTALL_TAG]
    nb.cells.insert(0, cell)
    nb.metadata.pop("jupytext", None)
    nb.metadata["jupytext"] = {"formats": "ipynb,md:myst"}
    nb.metadata["colab"] = {"provenance": [], "toc_visible": True}
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    nb.metadata["accelerator"] = "GPU" if "backend.use(\"cuda\")" in md.read_text() else "None"
    return nb


def _comparable(nb: nbformat.NotebookNode) -> list[tuple]:
    return [
        (c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", [])))
        for c in nb.cells
    ]


def stale_twins(paths: list[Path] | None = None) -> list[str]:
    """Describe every twin that is missing or whose cells differ from its ``.md``."""
    problems = []
    for md in paths or sources():
        ipynb = twin_of(md)
        rel = md.relative_to(ROOT)
        if not ipynb.exists():
            problems.append(f"{rel}: no .ipynb twin (run python tools/sync_notebooks.py {rel})")
            continue
        want = _comparable(notebook_from_markdown(md))
        have = _comparable(nbformat.read(ipynb, as_version=4))
        if want != have:
            first = next((i for i, (a, b) in enumerate(zip(want, have)) if a != b), min(len(want), len(have)))
            problems.append(
                f"{rel} and its .ipynb differ from cell {first} on "
                f"({len(want)} cells vs {len(have)}); edit the .md and run "
                f"python tools/sync_notebooks.py {rel}"
            )
    return problems


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 600) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    for cell in nb.cells:  # execution counts and timings only add noise to diffs
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    return nb


def merge_streams(outputs: list) -> list:
    """Join consecutive ``stream`` outputs of the same name, as Jupyter shows them: on a
    busy machine one ``print`` may reach the client in two messages (its text, then its
    newline), which would make the twin depend on the load of the machine that wrote it."""
    merged = []
    for out in outputs:
        if (merged and out.get("output_type") == "stream" and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1]["text"] = merged[-1]["text"] + out["text"]
        else:
            merged.append(out)
    return merged


class TwinEdited(RuntimeError):
    """The .ipynb was changed after its .md: regenerating it would lose that work."""


def sync(md: Path, run: bool = True, force: bool = False) -> Path:
    """Write the twin of ``md``. Refuses (``TwinEdited``) when the existing twin's
    cells differ from the .md's and the twin is the newer file — someone edited the
    notebook (in Jupyter or Colab) — unless ``force``."""
    nb = notebook_from_markdown(md)
    out = twin_of(md)
    if not force and out.exists() and out.stat().st_mtime > md.stat().st_mtime:
        if _comparable(nbformat.read(out, as_version=4)) != _comparable(nb):
            raise TwinEdited(
                f"{out.relative_to(ROOT)} was edited after {md.relative_to(ROOT)}; regenerating it "
                "would lose those edits. Carry them over into the .md (jupytext --to md:myst "
                f"{out.name} shows them as MyST), or pass --force to discard them."
            )
    if run:
        nb = execute(nb, md.parent)
    nbformat.write(nb, out)
    return out
