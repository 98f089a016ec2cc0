"""Compare a checked notebook output at the precision it prints.

nbval compares a cell tagged ``nbval-check-output`` character by character
(after the regex sanitizers of ``tools/nbval_sanitize.cfg``). That is right for
exact output: integers, shapes, strings, verdicts. For a float rounded in the
cell it is one digit too strict: a value that lies near a rounding boundary
(``0.12345`` printed with ``:.4f``) prints ``0.1234`` on one BLAS kernel and
``0.1235`` on another, however coarse the rounding. So a cell tagged
**also** ``nbval-printed-precision`` compares its numbers as numbers:

* the text around the numbers must be identical (up to the width of runs of
  spaces, which NumPy changes when it pads a column);
* a number written with a decimal point or an exponent (``0.1012``, ``3.2e-05``)
  matches when it differs from the stored one by at most one unit of the last
  printed digit (``0.1012`` accepts ``0.1011`` to ``0.1013``; ``3.2e-05``
  accepts ``3.1e-05`` to ``3.3e-05``; where the two print different numbers of
  digits, as NumPy does when it drops trailing zeros, the coarser one counts);
* integers (``574`` epochs, ``M = 3``) must be equal.

That is the claim the page makes by printing four decimals, no more and no
less. A cell that needs a looser check rounds coarser in the cell; a claim
that no rounding makes stable belongs in a test with ``assert_allclose``.

The root ``conftest.py`` installs :func:`install` into nbval.
"""

from __future__ import annotations

import re
from decimal import Decimal

TAG = "nbval-printed-precision"

# a number as printed: optional sign, digits with an optional fraction, optional exponent;
# not part of a word (x1, 0x7f, ch05) and not a version-like 1.2.3
NUMBER = re.compile(r"(?<![\w.])[-+−]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w]|\.\d)")


_SPACE = re.compile(r"[ \t]+")     # NumPy re-pads columns when a digit comes or goes


def _parse(token: str) -> tuple[Decimal, Decimal | None]:
    """The value and, for a decimal number, one unit of its last printed digit
    (``None`` for an integer, which must match exactly)."""
    t = token.replace("−", "-").lstrip("+")
    mantissa, _, exp = t.lower().partition("e")
    value = Decimal(t.lower())
    if "." not in mantissa and not exp:
        return value, None
    decimals = len(mantissa.partition(".")[2])
    ulp = Decimal(1).scaleb(-decimals + (int(exp) if exp else 0))
    return value, ulp


def same_at_printed_precision(reference: str, test: str) -> bool:
    """Whether ``test`` says what ``reference`` says at the precision it prints
    (the rule in the module docstring)."""
    if reference == test:
        return True
    ref_parts = [_SPACE.sub(" ", p) for p in NUMBER.split(reference)]
    test_parts = [_SPACE.sub(" ", p) for p in NUMBER.split(test)]
    if ref_parts != test_parts:                     # the words around the numbers differ
        return False
    for r, t in zip(NUMBER.findall(reference), NUMBER.findall(test)):
        rv, ulp = _parse(r)
        tv, tulp = _parse(t)
        if ulp is None or tulp is None:
            if r != t:
                return False
        elif abs(rv - tv) > max(ulp, tulp) * Decimal("1.000001"):
            return False
    return True


def install() -> None:
    """Make nbval compare the cells tagged ``nbval-printed-precision`` with
    :func:`same_at_printed_precision` (every other cell as before)."""
    from nbval.plugin import IPyNbCell

    if getattr(IPyNbCell.compare_outputs, "_printed_precision", False):
        return
    original = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        if TAG not in self.cell.metadata.get("tags", []):
            return original(self, test, ref, skip_compare)
        test = [_adopt_reference_numbers(t, r) for t, r in zip(test, ref)] + list(test[len(ref):])
        return original(self, test, ref, skip_compare)

    compare_outputs._printed_precision = True
    IPyNbCell.compare_outputs = compare_outputs


def _adopt_reference_numbers(test, ref):
    """``test`` (one nbformat output) with every text that agrees with the
    reference's at printed precision replaced by the reference's text, so that
    nbval's exact comparison (and its report of a real difference) is unchanged."""
    import copy

    if test.get("output_type") != ref.get("output_type"):
        return test
    out = copy.deepcopy(test)
    if out.get("output_type") == "stream":
        if out.get("name") == ref.get("name") and same_at_printed_precision(ref.get("text", ""), out.get("text", "")):
            out["text"] = ref["text"]
        return out
    data, ref_data = out.get("data", {}), ref.get("data", {})
    for mime, value in data.items():
        want = ref_data.get(mime)
        if isinstance(value, str) and isinstance(want, str) and same_at_printed_precision(want, value):
            data[mime] = want
    return out
