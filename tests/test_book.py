"""The book: twins in sync, a warning-free build, and Colab links that lead somewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files += [s["file"] for s in ch.get("sections", [])]
    return files


def test_every_twin_is_in_sync_with_its_markdown():
    assert notebooks.stale_twins() == []


def test_stale_twin_is_detected(tmp_path, monkeypatch):
    md = ROOT / "book" / "ch01_chain_rule.md"
    copy = tmp_path / "ch.md"
    copy.write_text(md.read_text())
    (tmp_path / "ch.ipynb").write_text((md.with_suffix(".ipynb")).read_text())
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    assert notebooks.stale_twins([copy]) == []
    copy.write_text(md.read_text().replace("y = 2 * a", "y = 4 * a", 1))
    problems = notebooks.stale_twins([copy])
    assert len(problems) == 1 and "differ" in problems[0]


def test_sync_refuses_to_overwrite_an_edited_twin(tmp_path, monkeypatch):
    import os

    md = tmp_path / "ch.md"
    md.write_text((ROOT / "book" / "ch01_chain_rule.md").read_text())
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    twin = notebooks.sync(md, run=False)
    import nbformat

    nb = nbformat.read(twin, as_version=4)
    nb.cells[1].source += "\n# a learner's note"          # edited in Colab, after the .md
    nbformat.write(nb, twin)
    os.utime(twin, (md.stat().st_mtime + 10,) * 2)
    with pytest.raises(notebooks.TwinEdited, match="would lose those edits"):
        notebooks.sync(md, run=False)
    assert "a learner's note" in twin.read_text()          # untouched
    notebooks.sync(md, run=False, force=True)
    assert "a learner's note" not in twin.read_text()


def test_sync_joins_a_print_split_into_two_stream_messages():
    """r2a: a busy kernel sent a check line and its newline as two stdout messages, so the
    twin of workbook 02 had two outputs where test_workbooks expects one."""
    import nbformat

    split = [nbformat.v4.new_output("stream", name="stdout", text="⏳ Exercise 2.5: pending"),
             nbformat.v4.new_output("stream", name="stdout", text="\n"),
             nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
             nbformat.v4.new_output("stream", name="stdout", text="more\n")]
    merged = notebooks.merge_streams(split)
    assert [(o.name, o.text) for o in merged] == [("stdout", "⏳ Exercise 2.5: pending\n"),
                                                  ("stderr", "a warning\n"), ("stdout", "more\n")]


def test_every_twin_starts_with_the_colab_install_cell():
    url = notebooks.repository_url()
    for md in notebooks.sources():
        import nbformat

        first = nbformat.read(notebooks.twin_of(md), as_version=4).cells[0]
        assert notebooks.INSTALL_TAG in first.metadata.get("tags", []), md
        assert f"git+{url}" in first.source and '"google.colab" in sys.modules' in first.source


def test_every_toc_entry_exists_and_every_chapter_is_listed():
    listed = toc_files()
    for f in listed:
        assert (ROOT / f"{f}.md").exists(), f"_toc.yml lists {f} but there is no {f}.md"
    for md in (ROOT / "book").glob("*.md"):
        assert str(md.relative_to(ROOT).with_suffix("")) in listed, f"{md.name} is not in _toc.yml"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "href" and v:
                self.hrefs.append(v)


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    proc = subprocess.run(
        ["jupyter-book", "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    warnings = [l for l in log.splitlines() if "WARNING:" in l or "ERROR:" in l]
    assert warnings == [], "\n".join(warnings)
    return out / "_build" / "html"


def test_book_builds_without_warnings(built_book):
    for f in toc_files():
        assert (built_book / f"{f}.html").exists(), f


def test_every_chapter_colab_link_opens_a_twin_in_the_repository(built_book):
    url = notebooks.repository_url()
    org_repo = re.sub(r"^https://github.com/", "", url).rstrip("/")
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    chapters = [f for f in toc_files() if notebooks.is_myst_notebook(ROOT / f"{f}.md")]
    assert chapters, "no chapter notebooks found"
    for f in chapters:
        parser = _Links()
        parser.feed((built_book / f"{f}.html").read_text())
        colab = [h for h in parser.hrefs if h.startswith("https://colab.research.google.com/")]
        targets = []
        for link in colab:
            m = re.fullmatch(rf"https://colab\.research\.google\.com/github/{org_repo}/blob/main/(.+)", link)
            assert m, link
            targets.append(m.group(1))
        launch = [t for t in targets if t.startswith("book/")]
        assert launch == [f"{f}.ipynb"], f"{f}: the launch button should open {f}.ipynb, found {launch}"
        for target in targets:   # the launch button and any workbook links
            assert (ROOT / target).exists(), target
            if tracked:   # in a git checkout: it must be committed, or Colab finds nothing
                assert target in tracked, f"{target} is not committed"
        chapter = re.match(r"book/ch(\d\d)_", f)
        if chapter:   # each chapter links its own workbook
            assert any(t.startswith(f"notebooks/{chapter.group(1)}_") for t in targets), f"{f}: no workbook link"


def test_install_cell_is_not_in_the_html(built_book):
    for f in toc_files():
        assert "google.colab" not in (built_book / f"{f}.html").read_text(), f


def test_glue_returns_the_value_and_records_it_for_the_prose(monkeypatch):
    from nnlearn.course import glue

    shown = []
    monkeypatch.setattr("myst_nb.ext.glue.ipy_display", lambda data, **kw: shown.append(data))
    assert glue("best_width", 128) == 128
    assert any("application/papermill.record/text/plain" in d for d in shown), shown
    with pytest.raises(ValueError, match="identifier"):
        glue("best width", 1)
    import numpy as np

    value = glue("loss", np.float64(0.25))
    assert type(value) is float and "0.25" in shown[-1]["application/papermill.record/text/plain"]


def test_glue_without_myst_nb_is_a_quiet_no_op(monkeypatch, capsys):
    from nnlearn.course import glue

    monkeypatch.setitem(sys.modules, "myst_nb", None)       # as in Colab
    assert glue("x", 0.25) == 0.25
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------
# Checked outputs at the precision they print (tools/nbval_precision.py) and
# the sanitizers (tools/nbval_sanitize.cfg)
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("reference, test, same", [
    ("loss 0.1235", "loss 0.1234", True),          # a rounding boundary: one unit of the last digit
    ("loss 0.1235", "loss 0.1236", True),
    ("loss 0.1235", "loss 0.1233", False),         # two units: a different claim
    ("loss 0.1235", "loss 0.12350", True),         # the same number, one digit more
    ("[0.5  0.25]", "[0.49 0.26]", True),          # NumPy drops trailing zeros and re-pads
    ("0.101208", "0.101209", True),
    ("[0.50 -0.25]", "[0.49 -0.26]", True),
    ("[0.50 -0.25]", "[0.48 -0.25]", False),
    ("3.2e-05", "3.3e-05", True),
    ("3.2e-05", "3.4e-05", False),
    ("1.0e+03", "1.1e+03", True),
    ("M = 3 wins", "M = 2 wins", False),           # integers are exact
    ("574 epochs", "575 epochs", False),
    ("M = 3 wins", "M = 3 loses", False),          # and so are the words
    ("ch05 0.5", "ch06 0.5", False),
    ("−0.50", "−0.51", True),                      # the minus sign of a table
])
def test_numbers_compare_at_their_printed_precision(reference, test, same):
    import nbval_precision

    assert nbval_precision.same_at_printed_precision(reference, test) is same


def _cell(source, stored, tags):
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = tags
    cell.execution_count = 1                   # a stored output of a cell that ran
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    return cell


def test_nbval_uses_the_sanitizers_and_the_printed_precision_tag(tmp_path):
    import nbformat

    both = ["nbval-check-output", "nbval-printed-precision"]
    nb = nbformat.v4.new_notebook(cells=[
        _cell("print('val loss 0.1234')", "val loss 0.1235\n", both),              # 0: passes
        _cell("print('val loss 0.1234')", "val loss 0.1235\n", ["nbval-check-output"]),   # 1: exact: fails
        _cell("print('val loss 0.1232')", "val loss 0.1235\n", both),              # 2: 3 units off: fails
        _cell("print('best M = 2')", "best M = 3\n", both),                         # 3: an integer: fails
        _cell("print('w = -0.000 after 12.3 ms at', hex(id(object())))",            # 4: sanitized: passes
              "w = 0.000 after 250 ms at 0x7f00deadbeef\n", ["nbval-check-output"]),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "claims.ipynb")
    env = dict(__import__("os").environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "--nbval-lax", "--nbval-current-env",
         "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-rA", "claims.ipynb"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout
    verdict = {int(m.group(2)): m.group(1) for m in re.finditer(r"^(PASSED|FAILED) claims\.ipynb::Cell (\d+)", out, re.M)}
    assert verdict == {0: "PASSED", 1: "FAILED", 2: "FAILED", 3: "FAILED", 4: "PASSED"}, out[-3000:]
