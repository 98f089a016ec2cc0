"""The workbooks in ``notebooks/`` against the exercise registry.

Every ``notebooks/NN_*.ipynb`` is run twice with nbval, in a temporary copy:

1. as shipped, with ``NNLEARN_EXPECT=pending``: every ``check`` must report
   "not yet answered" and no cell may fail;
2. with every answer cell replaced by its registry ``solution`` and
   ``NNLEARN_EXPECT=pass``: every ``check`` must report "correct";
3. the solutions again with ``NNLEARN_BACKEND=torch`` (the code path of a
   learner on a Colab GPU): every ``check`` must report "correct" there too.

Each run ends with a cell asserting the backend the kernel actually used (the
ambient ``NNLEARN_BACKEND``, or torch for run 3).

And statically: every answer cell names an exercise that exists, every
exercise of the workbook's chapter has exactly one answer cell and is checked,
and every ``check("…", …)`` call names an existing exercise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from nnlearn.exercises import exercises_of_chapter, get_exercise
from nnlearn.exercises.registry import ExerciseNotFound

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
WORKBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if re.match(r"\d\d_", p.name))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CHECK_CALL = re.compile(r"\bcheck\(\s*(['\"])(?P<id>[^'\"]*)\1")


def _chapter(path: Path) -> int:
    return int(path.name[:2])


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _answer_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "answer" in c.metadata.get("tags", [])]


def _check_ids(nb) -> list[str]:
    return [m.group("id") for c in nb.cells if c.cell_type == "code"
            for m in CHECK_CALL.finditer(c.source)]


def test_the_onboarding_workbook_is_there():
    assert NOTEBOOK_DIR / "00_how_exercises_work.ipynb" in WORKBOOKS
    assert (NOTEBOOK_DIR / "00_how_exercises_work.md").exists()


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.stem)
def test_answer_cells_match_the_registry(path):
    nb = _read(path)
    chapter = _chapter(path)
    ids = []
    for cell in _answer_cells(nb):
        ex_id = cell.metadata.get("exercise")
        assert isinstance(ex_id, str), (
            f"{path.name}: an answer cell has exercise metadata {ex_id!r}; it must be a quoted "
            f"string such as :exercise: '1.2'\n{cell.source}")
        get_exercise(ex_id)  # raises with the chapter's ids if unknown
        assert get_exercise(ex_id).chapter == chapter, f"{path.name} answers exercise {ex_id}"
        ids.append(ex_id)
    registered = list(exercises_of_chapter(chapter))
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"{path.name}: several answer cells for {duplicates}"
    assert sorted(ids) == sorted(registered), (
        f"{path.name} has answer cells for {ids}, the registry (ch{chapter:02d}.py) has {registered}")
    checked = set(_check_ids(nb))
    assert set(registered) <= checked, f"{path.name} never checks {sorted(set(registered) - checked)}"


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.stem)
def test_check_calls_name_existing_exercises(path):
    ids = _check_ids(_read(path))
    assert ids, f"{path.name} calls check() nowhere"
    for ex_id in ids:
        try:
            get_exercise(ex_id)
        except ExerciseNotFound as e:
            pytest.fail(f"{path.name}: check({ex_id!r}, ...): {e}")


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.stem)
def test_the_markdown_source_carries_the_answer_metadata(path):
    # jupytext must round-trip `:tags: [answer]` and `:exercise: '1.2'` from the .md.
    md = path.with_suffix(".md")
    if not md.exists():
        pytest.skip(f"{path.name} has no .md source")
    from_md = [(c.metadata.get("exercise"), c.source) for c in _answer_cells(jupytext.read(md))]
    from_ipynb = [(c.metadata.get("exercise"), c.source) for c in _answer_cells(_read(path))]
    assert from_md == from_ipynb


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.stem)
def test_shipped_check_cells_show_one_pending_line(path):
    # The twin was executed by tools/sync_notebooks.py in a real kernel: each check cell
    # must show the one printed line, not a second copy from the returned result.
    cells = [c for c in _read(path).cells if c.cell_type == "code" and CHECK_CALL.search(c.source)]
    if not any(c.get("outputs") for c in cells):
        pytest.skip(f"{path.name} was written without outputs (--no-execute)")
    for cell in cells:
        texts = [o.get("text", "") for o in cell.outputs]
        assert [o.output_type for o in cell.outputs] == ["stream"], (cell.source, cell.outputs)
        assert len(texts[0].splitlines()) == len(CHECK_CALL.findall(cell.source)), texts
        assert texts[0].startswith("⏳ Exercise "), texts


def _with_solutions(nb) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    for cell in _answer_cells(nb):
        solution = get_exercise(cell.metadata["exercise"]).solution
        assert solution.strip(), f"exercise {cell.metadata['exercise']} has no solution"
        cell.source = solution
        cell.outputs = []
    return nb


def _start_nbval(nb, directory: Path, name: str, expect: str, backend: str | None = None) -> subprocess.Popen:
    directory.mkdir(parents=True)
    env = dict(os.environ, NNLEARN_EXPECT=expect,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    if backend:
        env["NNLEARN_BACKEND"] = backend
    want = env.get("NNLEARN_BACKEND", "numpy")
    nb = nbformat.from_dict(nb)        # a last cell proves the kernel ran on the backend asked for
    nb.cells.append(nbformat.v4.new_code_cell(
        "import nnlearn\n"
        f"assert nnlearn.backend.current().name == {want!r}, nnlearn.backend.current().name"))
    nbformat.write(nb, directory / name)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
         "-p", "no:cacheprovider", "-q", name],
        cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(path: Path, runs: dict) -> None:
    failures = []
    for label, proc in runs.items():
        try:
            out, _ = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        if proc.returncode != 0:
            out = ANSI.sub("", out)
            failures.append(f"--- {label} (exit {proc.returncode}):\n{out[-4000:]}")
    if failures:
        pytest.fail(f"{path.name}:\n" + "\n".join(failures), pytrace=False)


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.stem)
def test_workbook_runs_pending_as_shipped_and_correct_with_solutions(path, tmp_path):
    shipped = _read(path)
    _finish(path, {
        "NNLEARN_EXPECT=pending": _start_nbval(shipped, tmp_path / "shipped", path.name, "pending"),
        "NNLEARN_EXPECT=pass": _start_nbval(_with_solutions(shipped), tmp_path / "solved", path.name, "pass"),
    })


# Workbooks known to fail on the torch backend, each with its defect. strict: once
# the workbook is fixed the XPASS fails this test, so the entry has to go.
TORCH_DEFECTS: dict = {}     # 02_backprop's entry removed: it passes on torch (and converts weights with backend.to_numpy, so on CUDA too)


def _torch_case(path):
    reason = TORCH_DEFECTS.get(path.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_torch_case(p) for p in WORKBOOKS])
def test_workbook_solutions_pass_on_the_torch_backend(path, tmp_path):
    # The code path of a learner on a Colab GPU (NNLEARN_BACKEND=cuda) is the torch
    # backend's: every check must say "correct" there too.
    if os.environ.get("NNLEARN_BACKEND", "numpy") == "torch":
        pytest.skip("this run already has NNLEARN_BACKEND=torch: the test above covers it")
    _finish(path, {"NNLEARN_BACKEND=torch NNLEARN_EXPECT=pass": _start_nbval(
        _with_solutions(_read(path)), tmp_path / "torch", path.name, "pass", backend="torch")})
