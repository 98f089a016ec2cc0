"""Tables that show themselves well everywhere.

A :class:`Table` renders as an HTML table in a notebook (and therefore in the
book), as aligned text in a terminal (``print(table)``) and as Markdown with
:meth:`Table.to_markdown`. Trace tables, experiment results and optimizer races
are all Tables, so they look alike and tests can read their cells.
"""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence


class Math(str):
    """A table cell that is plain text in a terminal and LaTeX in HTML.

    >>> Math("v₋₁ × v₀", r"v_{-1} \\times v_{0}")
    'v₋₁ × v₀'
    """

    latex: str

    def __new__(cls, text: str, latex: str):
        obj = str.__new__(cls, text)
        obj.latex = latex
        return obj


def format_number(x: Any, digits: int = 4) -> str:
    """A number as a reader wants it: ``digits`` significant decimals, no
    ``-0.0``, integers without a decimal point."""
    if isinstance(x, bool) or x is None:
        return "" if x is None else str(x)
    if isinstance(x, int):
        return str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "∞" if v > 0 else "−∞"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    s = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    if abs(v) < 10 ** (-digits) or abs(v) >= 1e9:
        s = f"{v:.{digits}g}"
    return "0" if s in ("-0", "") else s


class Table:
    """Rows of cells under named columns.

    Parameters
    ----------
    columns : sequence of str
        Column headings.
    rows : iterable of sequences
        One sequence of cells per row; numbers are formatted with
        :func:`format_number`, everything else with ``str``.
    title : str, optional
        Shown above the table.
    separators : iterable of int, optional
        Row indices *before* which a rule is drawn (the slides separate the
        inputs from the intermediate variables this way).
    math_columns : iterable of str, optional
        Columns whose cells are LaTeX, rendered with MathJax in HTML as
        ``\\(...\\)``.
    """

    def __init__(
        self,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        title: str | None = None,
        separators: Iterable[int] = (),
        math_columns: Iterable[str] = (),
        digits: int = 4,
    ):
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]
        for r in self.rows:
            if len(r) != len(self.columns):
                raise ValueError(f"row {r!r} has {len(r)} cells for {len(self.columns)} columns")
        self.title = title
        self.separators = set(separators)
        self.math_columns = set(math_columns)
        self.digits = digits

    # -- access, for code and tests ------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list:
        """The cells of one column, top to bottom."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def records(self) -> list[dict]:
        """The rows as dictionaries keyed by column name."""
        return [dict(zip(self.columns, r)) for r in self.rows]

    def select(self, columns: Sequence[str]) -> "Table":
        """A new Table with only ``columns``, in that order (rules and title kept)."""
        idx = [self.columns.index(c) for c in columns]
        return Table(columns, [[r[i] for i in idx] for r in self.rows], title=self.title,
                     separators=self.separators, math_columns=self.math_columns & set(columns),
                     digits=self.digits)

    def _cell(self, x) -> str:
        return format_number(x, self.digits)

    # -- renderings --------------------------------------------------------
    def __str__(self) -> str:
        cells = [self.columns] + [[self._cell(c) for c in r] for r in self.rows]
        widths = [max(len(row[j]) for row in cells) for j in range(len(self.columns))]

        def line(row):
            return "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()

        rule = "  ".join("-" * w for w in widths)
        out = [self.title] if self.title else []
        out += [line(self.columns), rule]
        for i, r in enumerate(cells[1:]):
            if i in self.separators and i > 0:
                out.append(rule)
            out.append(line(r))
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def to_markdown(self) -> str:
        """The table as GitHub-flavoured Markdown."""
        head = "| " + " | ".join(self.columns) + " |"
        rule = "|" + "|".join("---" for _ in self.columns) + "|"
        body = ["| " + " | ".join(self._cell(c).replace("|", "\\|") for c in r) + " |" for r in self.rows]
        title = [f"**{self.title}**", ""] if self.title else []
        return "\n".join(title + [head, rule] + body)

    def _repr_html_(self) -> str:
        math = {j for j, c in enumerate(self.columns) if c in self.math_columns}
        pad = "padding:0.15em 0.9em"

        def td(j, c, tag="td"):
            text = self._cell(c)
            if isinstance(c, Math):
                return f"<{tag} style='text-align:left;{pad}'>\\({html.escape(c.latex)}\\)</{tag}>"
            if j in math and text:
                return f"<{tag} style='text-align:left;{pad}'>\\({html.escape(text)}\\)</{tag}>"
            align = "right" if _is_number(c) else "left"
            return f"<{tag} style='text-align:{align};{pad}'>{html.escape(text)}</{tag}>"

        # the wrapper's class asks the book's MathJax to typeset the cells
        parts = ["<div class='mathjax_process'><table class='nnlearn-table'>"]
        if self.title:
            parts.append(f"<caption>{html.escape(self.title)}</caption>")
        parts.append("<thead><tr>" + "".join(
            f"<th style='text-align:left;{pad}'>{html.escape(c)}</th>" for c in self.columns) + "</tr></thead><tbody>")
        for i, r in enumerate(self.rows):
            style = " style='border-top:2px solid #555'" if i in self.separators and i > 0 else ""
            parts.append(f"<tr{style}>" + "".join(td(j, c) for j, c in enumerate(r)) + "</tr>")
        parts.append("</tbody></table></div>")
        return "".join(parts)


def _is_number(x) -> bool:
    try:
        float(x)
        return not isinstance(x, (str, bool))
    except (TypeError, ValueError):
        return False


def _register_notebook_formatter(figure_class) -> None:
    """In IPython, make sure a bare ``Figure`` is shown as a PNG (the inline
    backend does this only once pyplot has drawn something)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or not hasattr(ip, "display_formatter"):
        return
    png = ip.display_formatter.formatters["image/png"]
    if figure_class not in png.type_printers:
        from IPython.core.pylabtools import select_figure_formats

        select_figure_formats(ip, {"png"})


def new_figure(**kwargs):
    """A matplotlib ``Figure`` that is not registered with pyplot.

    Returned from a function, it is drawn exactly once in a notebook (a pyplot
    figure would be drawn twice: once as the cell's value, once by the inline
    backend) and it is freed when no longer referenced.
    """
    from matplotlib.figure import Figure

    _register_notebook_formatter(Figure)
    kwargs.setdefault("layout", "constrained")
    return Figure(**kwargs)
