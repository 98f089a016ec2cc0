"""The checkers: one class per kind of answer, and the result they return.

An exercise is declared, not programmed: a chapter module lists entries such as
``NumberExercise(id="1.2", reference=5, hint=..., solution=...)`` and
:meth:`Exercise.check` does the rest. Every kind follows the same four steps:

1. *pending* — the learner left ``...`` (or ``None``), or the function still
   returns ``...`` or raises ``NotImplementedError``;
2. *invalid* — the answer cannot be compared at all (a string for a number, an
   array of the wrong shape, a function with the wrong signature or one that
   raises); the message says what was expected and what arrived;
3. *correct* — within the tolerance of the reference;
4. *incorrect* — otherwise. The hint comes from the first matching mistake:
   the exercise's own :class:`Mistake` entries first, then the generic ones
   (sign flipped, twice or half as large, :math:`N` times too large or too
   small, transposed), then "very close", then the exercise's ``hint``. A
   generic hint names the concept to re-check (signs and constant factors; a
   sum or a mean over the samples; rows and columns), never the relation it
   detected, so that it cannot be turned into the answer in one step.

No message ever contains the reference answer, and none echoes an answer of
unbounded size (long strings and keys are cut short). A learner's function
runs under a time limit (``nnlearn.exercises.core.TIME_LIMIT``), and nothing a learner hands in
(a function that raises, even ``SystemExit``; an object whose ``__float__``
fails) makes :meth:`Exercise.check` raise. Numbers are compared on the
host with NumPy whatever the backend: the learner may answer with a Python
number, a list, a NumPy array, a PyTorch tensor or an nnlearn ``Tensor``.
"""

from __future__ import annotations

import collections.abc as _abc
import copy
import inspect
import math
import numbers
import os
import re
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .. import backend

__all__ = [
    "CheckResult",
    "Mistake",
    "Exercise",
    "NumberExercise",
    "ArrayExercise",
    "FunctionExercise",
    "TableExercise",
    "ChoiceExercise",
    "STATUSES",
]

STATUSES = ("correct", "incorrect", "pending", "invalid")
_ICON = {"correct": "✅", "incorrect": "❌", "pending": "⏳", "invalid": "⚠️"}
_PENDING_TEXT = "not yet answered — replace the ... with your answer and run the cell again."
_DEFAULT_HINT = "Go back over the task one step at a time."

# Generic hints, shared by every kind. None of them contains a value, and none says
# which relation holds between the answer and the reference: each names a concept
# to re-check that covers several slips (a sign and a factor ½ or 2; a sum or a mean
# over the N samples; rows and columns), so that no single wrong answer plus its
# hint gives the right answer away in one step.
HINT_FACTOR = ("Your method looks right, but a sign or a constant factor is off somewhere: "
               "re-check which quantity is subtracted from which, every minus sign the chain "
               "rule brings, and the constant factors (a ½ in front of a square, the 2 that "
               "differentiating a square brings down, a learning rate).")
HINT_SAMPLES = ("Re-check how the {n} samples enter your computation: a sum or a mean over "
                "them, and where each constant factor and sign belongs.")
HINT_ORIENTATION = ("Re-check the orientation of your array and its signs: which index runs "
                    "along the rows and which along the columns, and the sign of each term.")
# Former names, one concept each now (the relation they named is no longer said).
HINT_SIGN = HINT_DOUBLE = HINT_HALF = HINT_FACTOR
HINT_N_LARGE = HINT_N_SMALL = HINT_SAMPLES
HINT_TRANSPOSE = HINT_ORIENTATION
HINT_CLOSE = ("Very close, but not within the tolerance — keep more decimal places, "
              "or compute the number in code instead of rounding by hand.")
HINT_CLOSE_FUNCTION = ("Your function's outputs are close to the expected ones but not "
                       "within the tolerance — an approximation or a rounded constant "
                       "somewhere?")
HINT_CONSTANT = ("Your function returns the same output for different inputs — does it "
                 "use its argument, or did you write in a value by hand?")


class _Pending(Exception):
    """The answer is still the placeholder (message: optional replacement text)."""


class _Invalid(Exception):
    """The answer cannot be compared; the message is the one sentence shown."""


# --------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------

def _cell_number():
    """The IPython execution count, or None outside IPython (never imports IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return None if shell is None else shell.execution_count


@dataclass(eq=False)
class CheckResult:
    """What :func:`check` found.

    The result is true when the answer is correct. ``check`` prints the line
    itself, so that it shows whether or not ``check(...)`` is the last line of
    a cell; in a notebook, the result does not show the line a second time
    when it is the cell's value, but does when displayed in a later cell.

    Attributes
    ----------
    exercise_id : str
        The exercise, e.g. ``"1.2"``.
    status : str
        One of ``"correct"``, ``"incorrect"``, ``"pending"``, ``"invalid"``.
    message : str
        The one line that was printed.
    hint : str or None
        The hint alone (``"incorrect"`` only).
    inputs : list of dict
        For function exercises: the random inputs the function was called with
        (fresh on every call).
    """

    exercise_id: str
    status: str
    message: str
    hint: str | None = None
    inputs: list = field(default_factory=list)
    _printed_in: Any = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return f"CheckResult(exercise_id={self.exercise_id!r}, status={self.status!r})"

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        if self._printed_in is not None and self._printed_in == _cell_number():
            return  # already printed by check() in this very cell
        print(self.message)


def _expectation() -> str | None:
    want = os.environ.get("NNLEARN_EXPECT", "").strip().lower()
    if not want:
        return None
    if want not in ("pass", "pending"):
        raise ValueError(f"NNLEARN_EXPECT must be 'pass' or 'pending' (or unset), got {want!r}")
    return want


# --------------------------------------------------------------------------
# Describing and converting answers
# --------------------------------------------------------------------------

def _unwrap(x):
    """An nnlearn ``Value`` or ``Tensor`` gives its data; anything else is unchanged."""
    if type(x).__module__.startswith("nnlearn") and hasattr(x, "_data"):
        return x._data  # a Tensor's array
    if type(x).__module__.startswith("nnlearn") and hasattr(x, "data"):
        return x.data  # a Value's number
    return x


def _is_array(x) -> bool:
    """An array of some library: a tuple ``shape`` and a ``dtype`` (not, say, the numpy module)."""
    return isinstance(x, np.ndarray) or (isinstance(getattr(x, "shape", None), tuple)
                                         and hasattr(x, "dtype") and not isinstance(x, (str, bytes)))


def _shape(t) -> str:
    return "(" + ", ".join(str(int(d)) for d in t) + ("," if len(t) == 1 else "") + ")"


def _short(x, limit: int = 40) -> str:
    """``repr(x)``, cut to ``limit`` characters (a 10 MB answer is never echoed)."""
    try:
        text = repr(x)
    except Exception:  # noqa: BLE001 - an int too long to print, a broken __repr__
        return f"<{type(x).__name__} too long to print>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _text_of(x):
    """The text of a string-like answer (``str``, ``bytes``, a NumPy string or a
    one-element array of strings), else None: all are graded as the same string."""
    if isinstance(x, str):
        return str(x)
    if isinstance(x, (bytes, bytearray, memoryview)):
        try:
            return bytes(x).decode("utf-8", errors="replace")
        except (TypeError, ValueError):  # a memoryview of something else than bytes
            return None
    if isinstance(x, np.ndarray) and x.dtype.kind in "US" and x.size == 1:
        return _text_of(x.reshape(())[()])
    if isinstance(x, np.ndarray) and x.dtype == object and x.size == 1 \
            and isinstance(x.reshape(())[()], (str, bytes)):
        return _text_of(x.reshape(())[()])
    return None


def _describe(x) -> str:
    """A few words for what the learner gave, for 'expected ..., got ...'."""
    x = _unwrap(x)
    text = _text_of(x)
    if text is not None:
        s = text if len(text) <= 30 else text[:27] + "..."
        return f"the string {s!r}"
    if isinstance(x, bool) or x is None:
        return repr(x)
    if isinstance(x, type):
        return f"the class {x.__name__}"
    if callable(x) and not _is_array(x):
        return "a function"
    if isinstance(x, np.generic):
        return f"a NumPy {type(x).__name__}"
    if _is_array(x):
        return f"an array of shape {_shape(tuple(x.shape))}"
    if isinstance(x, (list, tuple)):
        kind = "list" if isinstance(x, list) else "tuple"
        return f"a {kind} of {len(x)} item{'s' if len(x) != 1 else ''}"
    if isinstance(x, dict):
        return f"a dict of {len(x)} item{'s' if len(x) != 1 else ''}"
    if isinstance(x, complex):
        return f"the complex number {_short(x)}"
    if inspect.isgenerator(x) or (hasattr(x, "__next__") and hasattr(x, "__iter__")):
        return "a generator (an iterator: turn it into a list or an array first)"
    name = type(x).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _safe_describe(x) -> str:
    try:
        return _describe(x)
    except Exception:  # noqa: BLE001 - a hostile object
        return "an object"


def _contains_ellipsis(x) -> bool:
    """Whether ``...`` occurs in ``x`` or in its (nested) lists and tuples;
    iterative, and safe on a list that contains itself."""
    stack, seen = [x], set()
    while stack:
        v = stack.pop()
        if v is ...:
            return True
        if isinstance(v, (list, tuple)):
            if id(v) in seen:
                continue
            seen.add(id(v))
            stack.extend(v)
        elif isinstance(v, np.ndarray) and v.dtype == object:
            if any(e is ... for e in v.ravel()):
                return True
    return False


def _huge(x) -> str:
    """How to describe a number too large for a float."""
    if isinstance(x, numbers.Integral):
        try:
            digits = len(str(abs(int(x))))
            return f"an integer with {digits} digits"
        except ValueError:  # more digits than Python will print
            return "an integer with thousands of digits"
    return "a number"


def _as_number(x) -> float:
    """The answer as a finite float, or _Pending / _Invalid."""
    if x is ... or x is None:
        raise _Pending
    x = _unwrap(x)
    if _text_of(x) is not None:
        raise _Invalid(f"expected a number, got {_describe(x)} — remove the quotes.")
    if isinstance(x, (bool, np.bool_)):
        raise _Invalid(f"expected a number, got {bool(x)!r}.")
    if isinstance(x, complex):
        raise _Invalid(f"expected a real number, got {_describe(x)}.")
    if callable(x) and not _is_array(x):
        raise _Invalid(f"expected a number, got {_describe(x)} — call it and give its result.")
    if isinstance(x, (list, tuple, dict, set)):
        if _contains_ellipsis(x):
            raise _Pending
        raise _Invalid(f"expected a single number, got {_describe(x)}.")
    if _is_array(x):
        a = backend.to_numpy(x)
        if a.dtype == object and _contains_ellipsis(a):
            raise _Pending
        if a.size != 1:
            raise _Invalid(f"expected a single number, got {_describe(a)}.")
        x = a.reshape(())[()]
        if isinstance(x, (np.bool_, bool)):
            raise _Invalid(f"expected a number, got the boolean {bool(x)}.")
        if isinstance(x, (complex, np.complexfloating)):
            raise _Invalid(f"expected a real number, got the complex number {_short(x)}.")
        if x is ... or x is None:
            raise _Pending
    try:
        v = float(x)
    except OverflowError:
        raise _Invalid(f"expected a number, got {_huge(x)}, far larger than any float "
                       "(about 1.8e308 at most).") from None
    except (TypeError, ValueError):
        raise _Invalid(f"expected a number, got {_describe(x)}.") from None
    except Exception as e:  # noqa: BLE001 - a learner's object with a broken __float__
        raise _Invalid(f"expected a number, got {_describe(x)}, which could not be turned into "
                       f"one ({type(e).__name__}: {_clip(str(e), 100)}).") from None
    if not math.isfinite(v):
        raise _Invalid(f"expected a finite number, got {v} — a division by zero or an "
                       "overflow somewhere?")
    return v


def _as_array(x, shape: tuple) -> np.ndarray:
    """The answer as a float array of ``shape``, or _Pending / _Invalid."""
    if shape == ():
        return np.asarray(_as_number(x))
    want = f"an array of shape {_shape(shape)}"
    if x is ... or x is None:
        raise _Pending
    x = _unwrap(x)
    if _contains_ellipsis(x):
        raise _Pending
    if _text_of(x) is not None and not (_is_array(x) and len(x.shape) > 0):
        raise _Invalid(f"expected {want}, got {_describe(x)}.")
    if isinstance(x, (bool, dict, set, complex)) or (callable(x) and not _is_array(x)):
        raise _Invalid(f"expected {want}, got {_describe(x)}.")
    if isinstance(x, (int, float, np.number)) or (_is_array(x) and len(x.shape) == 0):
        raise _Invalid(f"expected {want}, got a single number.")
    if inspect.isgenerator(x) or (hasattr(x, "__next__") and not _is_array(x)):
        raise _Invalid(f"expected {want}, got {_describe(x)}.")
    if _is_array(x):
        a = backend.to_numpy(x)
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = np.asarray(x)
        except ValueError:
            raise _Invalid(f"expected {want}, but the rows of your nested list have "
                           "different lengths.") from None
        except RecursionError:
            raise _Invalid(f"expected {want}, got a list that contains itself.") from None
    if a.dtype == object:
        try:
            a = a.astype(float)
        except OverflowError:
            raise _Invalid(f"expected {want} of numbers, but some entries are far larger than "
                           "any float (about 1.8e308 at most).") from None
        except Exception:  # noqa: BLE001 - not numbers, ragged rows, broken __float__
            raise _Invalid(f"expected {want} of numbers, but some entries are not numbers "
                           "(or the rows have different lengths).") from None
    if a.dtype.kind in "US":
        raise _Invalid(f"expected {want} of numbers, got an array of strings — remove the quotes.")
    if a.dtype.kind == "b":
        raise _Invalid(f"expected {want} of numbers, got an array of booleans.")
    if a.dtype.kind == "c":
        raise _Invalid(f"expected {want} of real numbers, got complex numbers.")
    if a.dtype.kind not in "iuf":
        raise _Invalid(f"expected {want} of numbers, got an array of {a.dtype}.")
    got = tuple(a.shape)
    if got != tuple(shape) and _squeezed(got) == _squeezed(shape):
        # (1, n) for (n,), or (n, 1) for (n,): the same numbers with a singleton
        # axis more or less, as keepdims=True or a column vector gives them
        a = a.reshape(shape)
        got = tuple(shape)
    if got != tuple(shape):
        if len(shape) == 2 and got == tuple(shape)[::-1]:
            raise _Invalid(f"expected {want}, got {_shape(got)} — did you transpose?")
        if a.size == math.prod(shape):
            raise _Invalid(f"expected {want}, got {_shape(got)} — the right number of "
                           f"entries in the wrong layout (see .reshape{_shape(shape)}).")
        raise _Invalid(f"expected {want}, got {_shape(got)}.")
    a = a.astype(float)
    if not np.all(np.isfinite(a)):
        raise _Invalid(f"expected {want} of finite numbers, but yours contains nan or inf "
                       "— a division by zero or an overflow somewhere?")
    return a


def _squeezed(shape) -> tuple:
    return tuple(d for d in shape if d != 1)


def _within_digits(a, r, digits: int | None) -> bool:
    """``a`` agrees with ``r`` to ``digits`` significant digits: the learner may
    type the value rounded as the question asks (0.1446 for 0.14461620...)."""
    if digits is None:
        return False
    a, r = float(a), float(r)
    if r == 0.0:
        return a == 0.0
    unit = 10.0 ** (math.floor(math.log10(abs(r))) - digits + 1)
    return abs(a - r) <= 0.5 * unit * (1 + 1e-9) + 1e-15 * abs(r)


def _host(x) -> np.ndarray:
    """A reference value (number, list, array, Tensor) as a float NumPy array."""
    return np.asarray(backend.to_numpy(_unwrap(x)), dtype=float)


def _resolve(x):
    """References and mistakes may be given lazily, as functions of no argument."""
    return x() if callable(x) else x


def _close(a, b, rtol, atol) -> bool:
    return (all(np.shape(u) == np.shape(v) for u, v in zip(a, b))
            and all(np.allclose(u, v, rtol=rtol, atol=atol) for u, v in zip(a, b)))


# --------------------------------------------------------------------------
# Mistakes
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    """A likely wrong answer and the hint that points at it.

    Parameters
    ----------
    answer : value or callable
        What the mistake produces. For number and array exercises: the mistaken
        value (or a function of no argument returning it). For function
        exercises: a function with the reference's signature computing the
        mistaken output from the same inputs (e.g. the reference without its
        :math:`\\sigma'` factor, or without the bias). For table exercises: a
        dict ``{row: mistaken value}``. For choice exercises: the wrong option.
    hint : str
        One sentence pointing at the mistake; it must not give the answer away.
    """

    answer: Any
    hint: str


class LazyTable(_abc.Mapping):
    """A table exercise's mistaken answer computed on first use (``make`` runs an experiment
    that takes seconds; importing the registry must not)."""

    def __init__(self, make: Callable[[], Mapping]):
        self._make, self._value = make, None

    def _table(self):
        if self._value is None:
            self._value = self._make()
        return self._value

    def __getitem__(self, key):
        return self._table()[key]

    def __iter__(self):
        return iter(self._table())

    def __len__(self):
        return len(self._table())


def _fresh_rng() -> np.random.Generator:
    """The generator of a function exercise's inputs: fresh entropy at every check, so that a
    function fitted to one set of inputs fails the next (tests may seed it)."""
    return np.random.default_rng()


def _generic_candidates(refs: list, n: int | None, transpose: bool = True) -> list:
    """The generic mistakes as (mistaken values, hint), one value per trial."""
    out = [([-r for r in refs], HINT_FACTOR),
           ([2.0 * r for r in refs], HINT_FACTOR),
           ([0.5 * r for r in refs], HINT_FACTOR)]
    if n is not None and n > 2:
        out += [([n * r for r in refs], HINT_SAMPLES.format(n=n)),
                ([r / n for r in refs], HINT_SAMPLES.format(n=n))]
    if transpose and all(np.ndim(r) == 2 and r.shape[0] == r.shape[1] for r in refs):
        out.append(([r.T for r in refs], HINT_ORIENTATION))
    return out


def _diagnose(got: list, refs: list, specific: list, n, rtol, atol, close_hint, fallback) -> str:
    """The hint for a wrong answer: the first candidate mistake that ``got`` matches.

    ``got`` and ``refs`` hold one value per trial (or per output); a candidate
    matches when it matches on every trial and differs from the reference.
    """
    for values, hint in specific + _generic_candidates(refs, n):
        if values is None or len(values) != len(refs):
            continue
        if _close(values, refs, rtol, atol):
            continue  # this "mistake" is the right answer here (e.g. the sign of 0)
        if _close(got, values, rtol, atol):
            return hint
    if rtol < 1e-2 and _close(got, refs, 1e-2, max(atol, 1e-6)):
        return close_hint
    return fallback


# --------------------------------------------------------------------------
# The exercise kinds
# --------------------------------------------------------------------------

_ID = re.compile(r"^(\d+)\.(\w+)$")


@dataclass(kw_only=True)
class Exercise:
    """One exercise: its id, how to judge an answer, and the hints.

    Subclasses say what kind of answer is expected (:class:`NumberExercise`,
    :class:`ArrayExercise`, :class:`FunctionExercise`, :class:`TableExercise`,
    :class:`ChoiceExercise`).

    Parameters
    ----------
    id : str
        ``"chapter.number"``, e.g. ``"1.2"``; the chapter part says which
        registry module (``nnlearn.exercises.ch01``) holds it.
    solution : str
        The reference solution as the code of the answer cell (e.g.
        ``"answer_1_2 = 5"``). The workbook tests run it; the checker never
        shows it.
    hint : str
        Shown when the answer is wrong and no declared mistake matches.
    mistakes : sequence of Mistake
        Likely wrong answers with targeted hints, tried before the generic ones.
    remark : str
        Optional sentence added to the "correct" line.
    title : str
        Optional short description (for listings).
    """

    id: str
    solution: str = ""
    hint: str = _DEFAULT_HINT
    mistakes: Sequence[Mistake] = ()
    remark: str = ""
    title: str = ""

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ValueError(f"exercise id must be a string 'chapter.number' such as '1.2', "
                             f"got {self.id!r}")
        for m in self.mistakes:
            if not isinstance(m, Mistake):
                raise TypeError(f"exercise {self.id}: mistakes must be Mistake(answer, hint) "
                                f"entries, got {m!r}")

    @property
    def chapter(self) -> int:
        """The chapter number, from the id."""
        return int(_ID.match(self.id).group(1))

    # -- to be provided by each kind ------------------------------------
    def judge(self, answer) -> tuple[str, str, dict]:
        """Return ``(status, text, extra)`` for ``answer``; ``text`` is the hint
        (incorrect), the explanation (invalid) or the pending text."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------
    #: Whether :meth:`evaluate` bounds the time of :meth:`judge` (reading an odd answer
    #: object can run the learner's code: ``__float__``, ``__eq__``, ``__len__``, ...).
    #: A function exercise bounds the learner's calls itself.
    _bounded_judge = True

    def evaluate(self, answer) -> CheckResult:
        """Judge ``answer`` and build the result, without printing or raising."""
        try:
            if self._bounded_judge and not _plain(answer):
                # an object of the learner's own class: its __float__, __eq__, ... run
                # under a time limit. The reference (perhaps a whole experiment) is
                # computed first, outside it: that time is not the answer's.
                _resolve(getattr(self, "reference", None))
                status, text, extra = _call_with_time_limit(lambda: self.judge(answer), _judge_limit())
            else:
                status, text, extra = self.judge(answer)
        except (_TimeUp, _StillRunning):
            status, extra = "invalid", {}
            text = (f"reading your answer (a {type(answer).__name__}) did not finish within "
                    f"{_judge_limit():g} s (does its __float__, "
                    "__eq__, __len__ or __iter__ loop forever?) — give a plain number, list, array, "
                    "dict or option")
        except _Pending as p:
            status, text, extra = "pending", (str(p) or _PENDING_TEXT), {}
        except _Invalid as e:
            status, text, extra = "invalid", str(e), {}
        except KeyboardInterrupt:
            raise                 # the learner's own Ctrl-C
        except BaseException as e:  # noqa: BLE001 - check() never raises on an answer
            try:
                detail = _clip(str(e), 100)
            except Exception:  # noqa: BLE001
                detail = ""
            status, extra = "invalid", {}
            text = (f"your answer ({_safe_describe(answer)}) could not be checked: reading it raised "
                    f"{type(e).__name__}" + (f": {detail}" if detail else "")
                    + " — give a plain number, list, array, dict or function.")
        head = f"{_ICON[status]} Exercise {self.id}:"
        hint = None
        if status == "correct":
            line = f"{head} correct." + (f" {self.remark}" if self.remark else "")
        elif status == "incorrect":
            hint = _sentence(text)
            where = extra.get("where", "")
            line = f"{head} not yet right{where}. Hint: {hint}"
        else:
            line = f"{head} {_sentence(text)}"
        return CheckResult(self.id, status, line, hint, extra.get("inputs", []))

    def check(self, answer) -> CheckResult:
        """Judge ``answer``, print one line, return the :class:`CheckResult`.

        When the environment variable ``NNLEARN_EXPECT`` is ``"pass"`` (or
        ``"pending"``), raise ``AssertionError`` unless the answer is correct
        (or pending): that is how the continuous-integration tests run the
        workbooks. Unset, it never raises.
        """
        result = self.evaluate(answer)
        print(result.message)
        result._printed_in = _cell_number()
        want = _expectation()
        if want is not None:
            ok = result.status == ("correct" if want == "pass" else "pending")
            if not ok:
                raise AssertionError(f"NNLEARN_EXPECT={want}, but exercise {self.id} is "
                                     f"{result.status}: {result.message}")
        return result


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


@dataclass(kw_only=True)
class NumberExercise(Exercise):
    """The answer is one number.

    Parameters
    ----------
    reference : float or callable
        The right answer (or a function of no argument computing it).
    rtol, atol : float
        Correct when ``|answer − reference| <= atol + rtol·|reference|``. The
        default ``rtol=1e-4`` accepts an answer typed with 5 significant digits.
    digits : int, optional
        The precision the question asks for ("to 4 significant digits"): an
        answer rounded to that many significant digits is also correct.
    n : int, optional
        The number of samples, when "sum instead of mean" (a factor :math:`N`)
        is a likely mistake.
    count : bool, default False
        The answer is a whole number (a count): only the exact number is right,
        and a wrong one gets a declared mistake's hint or the exercise's hint,
        never "keep more decimal places" or the generic sign-and-factor hint.
    """

    reference: Any
    rtol: float = 1e-4
    atol: float = 1e-8
    digits: int | None = None
    n: int | None = None
    count: bool = False

    def judge(self, answer):
        a = np.asarray(_as_number(answer))
        r = _host(_resolve(self.reference))
        if self.count:
            if float(a) == float(r):
                return "correct", "", {}
            for m in self.mistakes:
                if float(a) == float(_host(_resolve(m.answer))):
                    return "incorrect", m.hint, {}
            return "incorrect", self.hint, {}
        if _close([a], [r], self.rtol, self.atol) or _within_digits(a, r, self.digits):
            return "correct", "", {}
        specific = [([_host(_resolve(m.answer))], m.hint) for m in self.mistakes]
        if self.digits is not None:
            # a mistake typed to the precision the question asks is still that mistake
            for values, hint in specific + _generic_candidates([r], self.n):
                if not _close(values, [r], self.rtol, self.atol) \
                        and _within_digits(a, values[0], self.digits):
                    return "incorrect", hint, {}
        hint = _diagnose([a], [r], specific, self.n, self.rtol, self.atol, HINT_CLOSE, self.hint)
        return "incorrect", hint, {}


@dataclass(kw_only=True)
class ArrayExercise(Exercise):
    """The answer is an array of a known shape (a list of lists is fine).

    The shape is checked first: a transposed or reshaped answer is explained
    without comparing any values. Then the values, with ``rtol`` and ``atol``
    as in :func:`numpy.allclose`.

    Parameters
    ----------
    reference : array_like or callable
        The right array (or a function of no argument computing it).
    rtol, atol : float
        Tolerances of :func:`numpy.allclose`.
    n : int, optional
        The number of samples, when a factor :math:`N` is a likely mistake.
    """

    reference: Any
    rtol: float = 1e-6
    atol: float = 1e-8
    n: int | None = None

    def judge(self, answer):
        r = _host(_resolve(self.reference))
        a = _as_array(answer, r.shape)
        if _close([a], [r], self.rtol, self.atol):
            return "correct", "", {}
        specific = [([_host(_resolve(m.answer))], m.hint) for m in self.mistakes]
        hint = _diagnose([a], [r], specific, self.n, self.rtol, self.atol, HINT_CLOSE, self.hint)
        return "incorrect", hint, {}


def _describe_value(v) -> str:
    v = _unwrap(v)
    if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        try:
            return f"{float(v):.3g}"
        except (OverflowError, TypeError, ValueError):
            return _huge(v)
    if _is_array(v):
        a = backend.to_numpy(v)
        if a.ndim == 0 and a.dtype.kind in "iuf":
            return f"{float(a):.3g}"
        if a.size <= 3 and a.dtype.kind in "iuf":
            return np.array2string(a, precision=3, separator=", ")
        return f"an array of shape {_shape(a.shape)}"
    return _describe(v)


def _describe_call(args: dict) -> str:
    parts = []
    for k, v in args.items():
        d = _describe_value(v)
        parts.append(f"{k} of shape {d[len('an array of shape '):]}"
                     if d.startswith("an array of shape ") else f"{k}={d}")
    return ", ".join(parts)


def _small(*values) -> bool:
    return all(np.size(backend.to_numpy(_unwrap(v))) <= 3 for v in values)


#: Seconds a learner's function may run in one :meth:`FunctionExercise.check`
#: (all its calls together) before it is stopped; ``None`` or 0: no limit.
#: The environment variable ``NNLEARN_CHECK_TIME_LIMIT`` overrides it, and an
#: exercise may set its own ``time_limit``.
TIME_LIMIT = 5.0


def _time_limit(own):
    if own is not None:
        return float(own) or None
    env = os.environ.get("NNLEARN_CHECK_TIME_LIMIT", "").strip()
    if env:
        try:
            return float(env) or None
        except ValueError:
            raise ValueError(f"NNLEARN_CHECK_TIME_LIMIT must be a number of seconds, got {env!r}") from None
    return TIME_LIMIT or None


class _TimeUp(BaseException):
    """Raised inside a learner's function whose time is up (a BaseException, so that
    the learner's own ``except Exception`` does not swallow it)."""


class _StillRunning(Exception):
    """A learner's function, run in a worker thread, has not returned in time."""


def _alarm_available() -> bool:
    """``signal.setitimer`` can interrupt the call: a Unix process's main thread
    (Jupyter, Colab, a script) with no other real-time timer running."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


_PLAIN = (int, float, complex, str, bytes, bytearray, bool, type(None), np.ndarray, np.generic)


def _plain(answer, depth: int = 0) -> bool:
    """Whether ``answer`` is made of built-in values only (numbers, strings, arrays, and
    lists, tuples and dicts of them), whose reading cannot run the learner's code."""
    if isinstance(answer, _PLAIN) and type(answer).__module__ in ("builtins", "numpy"):
        return answer.dtype != object if isinstance(answer, np.ndarray) else True
    if type(answer).__name__ == "Tensor" and type(answer).__module__.startswith(("nnlearn", "torch")):
        return True
    if type(answer) in (list, tuple, dict, set, frozenset) and depth < 3:
        items = list(answer.items()) if isinstance(answer, dict) else answer
        if len(items) > 1000:
            return False
        flat = [v for kv in items for v in kv] if isinstance(answer, dict) else items
        return all(_plain(v, depth + 1) for v in flat)
    return False


def _judge_limit():
    """Seconds to read and grade an answer that is not a function (generous: grading
    may compute the reference; only an answer object that never returns reaches it)."""
    limit = _time_limit(None)
    return None if limit is None else 4 * limit


def _call_with_time_limit(call, seconds):
    """``call()``, stopped after ``seconds``.

    On the main thread of a Unix process a real-time timer raises
    :class:`_TimeUp` inside the call (and again every 0.25 s, should the call
    catch it), so the learner's function really stops, unless it catches every
    exception inside its loop (a bare ``except:`` around the loop's body),
    which only interrupting the kernel stops. Elsewhere the call runs
    in a daemon thread that is waited for ``seconds``; if it has not returned
    then, :class:`_StillRunning` is raised and the thread is left running
    (Python cannot stop a thread).
    """
    if seconds is None or seconds <= 0:
        return call()
    if _alarm_available():
        active = [True]

        def on_alarm(signum, frame):
            if active[0]:
                raise _TimeUp

        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)
            try:
                return call()
            finally:
                active[0] = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    outcome = {}
    name = backend.current().name

    def work():
        try:
            with backend.use(name):  # the caller's backend, in this thread too
                outcome["value"] = call()
        except BaseException as e:  # noqa: BLE001 - handed over to the caller
            outcome["error"] = e

    worker = threading.Thread(target=work, name="nnlearn-check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _StillRunning
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@dataclass(kw_only=True)
class FunctionExercise(Exercise):
    """The answer is a function, run on fresh random inputs at every check.

    The learner's function and the reference are called on the same inputs,
    drawn from ``inputs`` with a new random generator each time (so a function
    that hard-codes the outputs for one input cannot pass), and their outputs
    are compared. Declared mistakes are functions with the reference's
    signature; they, and the generic mistakes, are compared on the same
    inputs.

    Parameters
    ----------
    reference : callable
        The right function.
    inputs : callable
        ``inputs(rng)`` returns a dict ``{argument name: value}`` for one call;
        ``rng`` is a :class:`numpy.random.Generator`. The function is called
        with the values as positional arguments (in the dict's order), so the
        learner may name the parameters as they like; the names are used in
        messages.
    trials : int
        How many independent inputs to try.
    rtol, atol : float
        Tolerances of :func:`numpy.allclose`, per output.
    n : int, callable, "auto" or None
        The number of samples for the factor-:math:`N` mistake: an int, a
        function of the inputs dict, ``"auto"`` (the length of the first array
        argument) or None (do not look for it).
    output_names : sequence of str, optional
        Names of the outputs when the function returns a tuple, for messages.
    time_limit : float, optional
        Seconds the learner's function may take over all trials of one check;
        ``None`` uses ``nnlearn.exercises.core.TIME_LIMIT`` (5 s, or ``NNLEARN_CHECK_TIME_LIMIT``).
        A function still running then is stopped (on the main thread of a Unix
        process, as in Jupyter and Colab; elsewhere it is left running in a
        worker thread) and the check reports it as invalid.
    """

    reference: Callable
    inputs: Callable
    trials: int = 3
    rtol: float = 1e-6
    atol: float = 1e-8
    n: Any = "auto"
    output_names: Sequence[str] = ()
    time_limit: float | None = None
    _bounded_judge = False  # the learner's calls are bounded one by one, in judge()

    def _n(self, args: dict):
        if self.n is None or isinstance(self.n, int):
            return self.n
        if callable(self.n):
            return int(self.n(args))
        for v in args.values():
            if _is_array(v) and len(getattr(v, "shape", ())) >= 1:
                return int(v.shape[0])
        return None

    def _draw(self, rng) -> dict:
        args = self.inputs(rng)
        if not isinstance(args, Mapping):
            raise TypeError(f"exercise {self.id}: inputs(rng) must return a dict "
                            "{argument name: value}")
        return dict(args)

    def _outputs(self, f, args: dict) -> tuple[list, bool]:
        """``f(*args)`` as a list of host arrays (one per output), and whether
        ``f`` returned a tuple."""
        out = f(*copy.deepcopy(list(args.values())))
        several = isinstance(out, (tuple, list))
        return [_host(o) for o in (out if several else [out])], several

    def judge(self, fn):
        if fn is ... or fn is None:
            raise _Pending
        if isinstance(fn, type):
            raise _Invalid(f"expected a function, got {_describe(fn)} — define a function with "
                           "def and give its name.")
        if not callable(fn):
            raise _Invalid(f"expected a function, got {_describe(fn)} — give the function's "
                           "name without calling it (no parentheses).")
        rng = _fresh_rng()  # fresh entropy: new inputs at every check
        trials = [self._draw(rng) for _ in range(self.trials)]
        _check_signature(fn, list(trials[0]))
        refs, several = zip(*(self._outputs(self.reference, args) for args in trials))
        several = several[0]
        names = list(self.output_names) or [f"output {i + 1}" for i in range(len(refs[0]))]
        limit = _time_limit(self.time_limit)
        deadline = None if limit is None else time.monotonic() + limit
        gots = [self._learner_outputs(fn, args, ref, names, several, deadline, limit)
                for args, ref in zip(trials, refs)]

        flat_got = [o for outs in gots for o in outs]
        flat_ref = [o for outs in refs for o in outs]
        if _close(flat_got, flat_ref, self.rtol, self.atol):
            return "correct", "", {"inputs": trials}
        hint = self._hint(flat_got, flat_ref, trials)
        if hint is None:
            same_out = all(_close(g, gots[0], 0, 0) for g in gots[1:])
            same_ref = all(_close(r, refs[0], self.rtol, self.atol) for r in refs[1:])
            hint = HINT_CONSTANT if (len(gots) > 1 and same_out and not same_ref) else self.hint
        # The learner's own output is shown only beside the general hints: next to
        # "opposite sign", "twice as large" or "very close" it would give the reference away.
        where = ""
        if hint in (self.hint, HINT_CONSTANT) and not several:
            args, got = next((a, g) for a, g, r in zip(trials, gots, refs)
                             if not _close(g, r, self.rtol, self.atol))
            if _small(*args.values(), got[0]):
                where = (f" (with {_describe_call(args)}, your function returns "
                         f"{_describe_value(got[0])})")
        return "incorrect", hint, {"inputs": trials, "where": where}

    def _learner_outputs(self, fn, args: dict, ref: list, names: list, several: bool,
                         deadline=None, limit=None) -> list:
        """Run the learner's function once (within the time left before
        ``deadline``); its outputs as host arrays shaped like ``ref``."""
        call = _describe_call(args)
        values = copy.deepcopy(list(args.values()))
        left = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = _call_with_time_limit(lambda: fn(*values), left)
            except NotImplementedError:
                raise _Pending from None
            except _TimeUp:
                raise _Invalid(f"your function was stopped after {limit:g} s without returning "
                               f"(called with {call}) — an endless loop, or far more work than "
                               "the task needs?") from None
            except _StillRunning:
                raise _Invalid(f"your function has not returned after {limit:g} s (called with "
                               f"{call}) and is still running in the background — an endless "
                               "loop? Interrupt or restart the kernel to stop it.") from None
            except KeyboardInterrupt:
                raise             # the learner's own Ctrl-C stops the check
            except BaseException as e:  # noqa: BLE001 - the learner's bug (SystemExit too), in one sentence
                try:
                    text = str(e)
                except Exception:  # noqa: BLE001 - a broken __str__
                    text = ""
                detail = f": {_clip(text)}" if text else ""
                tip = ""
                if isinstance(e, TypeError) and "converted to Python scalars" in text:
                    tip = (" — the math module works on single numbers only; NumPy's "
                           "functions (np.exp, ...) work on whole arrays")
                if isinstance(e, SystemExit):
                    tip = " — a function to check must return its result, not exit"
                raise _Invalid(f"your function raised {type(e).__name__}{detail} when "
                               f"called with {call}{tip}.") from None
        if out is ... or (isinstance(out, (tuple, list)) and _contains_ellipsis(out)):
            raise _Pending
        if out is None:
            raise _Invalid("your function returned None — did you forget the return statement?")
        if (several and _is_array(out) and np.ndim(_unwrap(out)) == 1 and len(out) == len(ref)
                and all(np.ndim(_unwrap(r)) == 0 for r in ref)):
            out = tuple(_unwrap(out))     # several numbers returned as one 1-D array: the same answer
        if several and (not isinstance(out, (tuple, list)) or len(out) != len(ref)):
            raise _Invalid(f"your function should return {len(ref)} values ({', '.join(names)}), "
                           f"but it returned {_describe(out)} (called with {call}).")
        outs = list(out) if several else [out]
        converted = []
        for name, o, r in zip(names, outs, ref):
            try:
                converted.append(_as_array(o, r.shape))
            except _Invalid as e:
                what = f"{name} of your function" if several else "your function's output"
                raise _Invalid(f"{what}, called with {call}: {e}") from None
        return converted

    def _hint(self, got: list, ref: list, trials: list):
        """The hint of the first mistake matching on every trial, or None."""
        specific = []
        for m in self.mistakes:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    values = [o for args in trials for o in self._outputs(m.answer, args)[0]]
            except Exception:  # a mistake that does not apply to these inputs
                values = None
            specific.append((values, m.hint))
        ns = {self._n(args) for args in trials}
        n = ns.pop() if len(ns) == 1 else None
        return _diagnose(got, ref, specific, n, self.rtol, self.atol, HINT_CLOSE_FUNCTION, None)


def _check_signature(fn, names: list) -> None:
    """Raise _Invalid unless ``fn`` can be called with ``len(names)`` positional arguments."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none: just call them
        return
    try:
        signature.bind(*names)
    except TypeError:
        k = len(names)
        raise _Invalid(f"your function should take {k} argument{'s' if k != 1 else ''} "
                       f"({', '.join(names)}), but its signature is "
                       f"{getattr(fn, '__name__', 'f')}{signature}.") from None


@dataclass(kw_only=True)
class TableExercise(Exercise):
    """The answer is a filled-in table: named rows, one value each.

    A trace table, for instance: ``{"v1": 0.693, "v2": 10.0, ...}``. The learner
    gives a dict keyed by row name, or a list in row order; rows may be left as
    ``...``. The check walks the rows in order and names the first wrong one
    (by its name, never its value); if every filled-in row is right and some are
    still ``...``, it names those and reports pending.

    Parameters
    ----------
    reference : dict or callable
        ``{row name: right value}`` in table order (numbers, or strings compared
        without case and spaces), or a function of no argument returning it.
    rtol, atol : float
        Tolerances for numeric rows.
    digits : int, optional
        The precision the question asks for: numeric rows rounded to that many
        significant digits are also correct.
    row_hints : dict, optional
        ``{row name: hint}`` used when that row is the first wrong one and no
        declared mistake matches.
    """

    reference: Any
    rtol: float = 1e-4
    atol: float = 1e-8
    digits: int | None = None
    row_hints: Mapping[str, str] = field(default_factory=dict)

    def judge(self, answer):
        ref = dict(_resolve(self.reference))
        rows = list(ref)
        if answer is ... or answer is None:
            raise _Pending
        answer = _unwrap(answer)
        if _is_array(answer) and len(getattr(answer, "shape", ())) == 0:
            answer = backend.to_numpy(answer).reshape(())[()]   # a 0-d array: its one value
            if isinstance(answer, np.generic):
                answer = answer.item()
            if answer is ... or answer is None:
                raise _Pending
        listing = ", ".join(rows)
        if isinstance(answer, Mapping):
            given = {(k if isinstance(k, str) else _short(k)): v for k, v in answer.items()}
            extra = [k for k in given if k not in ref]
            if extra:
                raise _Invalid(f"your table has a row {_short(extra[0])} that the exercise does "
                               f"not have; its rows are {listing}.")
            missing = [k for k in rows if k not in given]
            if missing:
                raise _Invalid(f"your table has no row {missing[0]!r}; the rows are {listing} "
                               "(use ... for a row you have not filled in yet).")
        elif isinstance(answer, (list, tuple)) or _is_array(answer):
            values = list(backend.to_numpy(answer)) if _is_array(answer) else list(answer)
            if len(values) != len(rows):
                raise _Invalid(f"expected {len(rows)} rows ({listing}), got {len(values)}.")
            given = dict(zip(rows, values))
        else:
            raise _Invalid(f"expected a table: a dict {{row name: value}} or a list of "
                           f"{len(rows)} values, got {_describe(answer)}.")
        unfilled, wrong_text, first_wrong = [], [], None
        text_rows = [row for row in rows if isinstance(ref[row], str)]
        for row in rows:
            v, r = given[row], ref[row]
            if v is ... or v is None or (isinstance(v, np.ndarray) and v.size == 1
                                         and v.dtype == object and v.reshape(())[()] is ...):
                unfilled.append(row)
                continue
            if isinstance(r, str):
                text = _text_of(_unwrap(v))
                if text is None:
                    raise _Invalid(f"row {row}: expected text, got {_describe(v)}.")
                if _norm(text) != _norm(r):
                    wrong_text.append(row)
                continue
            if first_wrong is not None:
                continue
            try:
                a = np.asarray(_as_number(v))
            except _Pending:
                unfilled.append(row)
                continue
            except _Invalid as e:
                raise _Invalid(f"row {row}: {e}") from None
            rr = _host(r)
            if _close([a], [rr], self.rtol, self.atol) or _within_digits(a, rr, self.digits):
                continue
            specific = [([_host(m.answer[row])], m.hint) for m in self.mistakes
                        if isinstance(m.answer, Mapping) and row in m.answer]
            hint = _diagnose([a], [rr], specific, None, self.rtol, self.atol, HINT_CLOSE,
                             self.row_hints.get(row, self.hint))
            first_wrong = (row, hint)
        if first_wrong is not None:
            row, hint = first_wrong
            return "incorrect", hint, {"where": f" — row {row} is the first wrong row"}
        if wrong_text:
            # Rows of text take few values (yes/no): naming the wrong one would give it
            # away, and so would a hint written for that row. Say how many, and the general hint.
            k, m = len(wrong_text), len(text_rows)
            kind = "rows" if m == len(rows) else "text rows"
            where = f" — {k} of the {m} {kind} {'is' if k == 1 else 'are'} wrong"
            return "incorrect", self.hint, {"where": where}
        if unfilled:
            if len(unfilled) == len(rows):
                raise _Pending
            which = ", ".join(unfilled)
            plural = len(unfilled) > 1
            raise _Pending(f"the rows filled in so far are right; row{'s' if plural else ''} "
                           f"{which} {'are' if plural else 'is'} still ... — fill "
                           f"{'them' if plural else 'it'} in and run the cell again.")
        return "correct", "", {}


def _norm(s) -> str:
    return re.sub(r"\s+", "", str(s)).lower()


@dataclass(kw_only=True)
class ChoiceExercise(Exercise):
    """The answer is one option: a letter of a multiple-choice question, or a
    value from a fixed set (a prediction such as ``"up"``/``"down"``, or a number).

    Letters and words are compared without case, spaces, brackets and a final
    full stop, so ``"B"``, ``"b)"`` and ``"(b)"`` all mean ``"b"``.

    Parameters
    ----------
    options : dict or sequence
        ``{letter: text}`` or the allowed values.
    reference : str or number
        The right option.
    """

    options: Any
    reference: Any

    def _normal(self, v):
        text = _text_of(v)
        if text is not None:
            return _norm(text[:1000]).strip("()[]").rstrip(".)").strip()  # no option is longer
        return v

    def _matches(self, a, b) -> bool:
        a, b = self._normal(a), self._normal(b)
        if isinstance(a, str) or isinstance(b, str):
            return isinstance(a, str) and isinstance(b, str) and a == b
        if isinstance(a, (bool, np.bool_)) != isinstance(b, (bool, np.bool_)):
            return False
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except OverflowError:
            return False
        except Exception:  # noqa: BLE001 - not a number: compare as objects
            try:
                return bool(a == b)
            except Exception:  # noqa: BLE001
                return False

    def judge(self, answer):
        if answer is ... or answer is None:
            raise _Pending
        answer = _unwrap(answer)
        if _is_array(answer) and getattr(answer, "size", 2) == 1:
            answer = backend.to_numpy(answer).reshape(())[()]
        opts = list(self.options)
        listing = ", ".join(repr(o) if isinstance(o, str) else str(o) for o in opts)
        chosen = next((o for o in opts if self._matches(answer, o)), None)
        if chosen is None:
            text = _text_of(answer)
            got = _short(text) if text is not None else _describe_value(answer)
            raise _Invalid(f"expected one of {listing}, got {got}.")
        if self._matches(chosen, self.reference):
            return "correct", "", {}
        hint = next((m.hint for m in self.mistakes if self._matches(chosen, m.answer)), self.hint)
        return "incorrect", hint, {}
