"""Reliability probe: send bad inputs, faults and hostile answers at nnlearn's public API.

Run it with one command (from the repository root)::

    python tools/attack/probe.py                 # all cases, summary + every non-OK case
    python tools/attack/probe.py --area optim -v # one area, every case
    python tools/attack/probe.py --json out.json # machine-readable results

Each case has a short id, the call (a function of no arguments) and the expected class of
outcome: ``"error"`` (the input is bad: a clear exception is the right answer), ``"ok"`` (the
call must return, and ``check(result)`` must hold), ``"torch"`` (do what PyTorch does: raise
where torch raises, else return the same values) or ``"either"`` (a clear error or a right
result). Every case runs in a forked child with a timeout, so a hang, a crash or a mutated
global cannot leak into the next case.

Outcomes:

- **OK** — a clear error naming the problem, or the right result.
- **OBSCURE** — an exception a learner cannot act on: a bare ``KeyError``/``IndexError``/
  ``AttributeError``/``ZeroDivisionError`` from inside, a message raised by NumPy, torch or
  Python itself rather than by an nnlearn check (argument-count errors excepted), or an error
  on a valid input.
- **SILENT** — a wrong result or lost state without a word (the expected error did not come, the
  result differs from the oracle, or a state check failed).
- **HANG** — no outcome within the case's timeout.

The heuristic for "clear" is deliberately strict; the report (``reviews_new/attack.md``) lists
the OBSCURE cases left, read by hand.
"""
from __future__ import annotations

import argparse
import collections
import io
import json
import math
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

torch.set_num_threads(1)

import nnlearn  # noqa: E402
import nnlearn.nn as nn  # noqa: E402
import nnlearn.nn.functional as F  # noqa: E402
from nnlearn import Tensor, backend, losses, optim  # noqa: E402
from nnlearn.optim import lr_scheduler  # noqa: E402

PKG = os.path.dirname(os.path.abspath(nnlearn.__file__))
HERE = os.path.abspath(__file__)


class Silent(Exception):
    """Raised by a case to report a wrong result or lost state."""


class Case:
    __slots__ = ("id", "area", "fn", "expect", "check", "oracle", "timeout", "errors", "backend")

    def __init__(self, id, area, fn, expect="error", check=None, oracle=None, timeout=60,
                 errors=None, backend="numpy"):
        self.id, self.area, self.fn, self.expect = id, area, fn, expect
        self.check, self.oracle, self.timeout = check, oracle, timeout
        self.errors, self.backend = errors, backend


# Where nnlearn deliberately does what NumPy does, or what issue 12 asks, rather than what
# torch does; a result here is right (not SILENT) when it is the documented one. Keyed by case
# id without the backend suffix.
DEPARTURES = {
    "create.Tensor.float_subnormal": "floats default to float64 (torch: float32), so 5e-324 and 1e308 are kept",
    "create.tensor.float_subnormal": "floats default to float64 (torch: float32)",
    "create.zeros.empty": "zeros() is the 0-d zero, as numpy.zeros(())",
    "create.randn.empty": "randn() is a 0-d sample, as numpy's standard_normal()",
    "create.randint_nosize": "size defaults to () (a 0-d sample), as numpy's integers(high)",
    "create.zeros_like_list": "the *_like functions accept array-likes, as numpy.zeros_like",
    "create.tensor_bool_sub": "bool tensors compute as integers 0/1, as in Python (True - True == 0)",
    "create.tensor_rg_str": "requires_grad is read for its truth value",
    "ops.mean_int": "mean of integers is their float mean, as numpy",
    "ops.index_uint8": "integer index arrays of any dtype index (issue 12: uint8 is never a mask)",
    "ops.cat_not_list": "cat of one tensor concatenates its rows, as numpy.concatenate",
    "ops.where_cond_float": "a numeric condition is read as nonzero, as numpy.where (numpy backend)",
    "ops.add_list": "lists combine with tensors, as with numpy arrays",
    "ops.numel_list": "numel accepts array-likes",
    "ops.index_step_neg": "negative slice steps work on the numpy backend, as in numpy",
    "utils_data.td_list": "TensorDataset converts array-likes to Tensors",
    "nn.register_buffer_bad": "register_buffer converts array-likes to a Tensor (documented)",
    "nn.linear_int_input": "integer input is promoted to the weight's float dtype",
    "nn.linear_list_input": "modules accept array-likes and convert them",
    "functional.relu_list": "functional ops accept array-likes",
    "functional.layer_norm_int": "normalized_shape may be an int, as in nn.LayerNorm",
    "loss.cross_entropy.int8": "class indices of any integer dtype (issue 12)",
    "loss.cross_entropy.int16": "class indices of any integer dtype (issue 12)",
    "loss.cross_entropy.int32": "class indices of any integer dtype (issue 12)",
    "loss.nll_loss.int8": "class indices of any integer dtype (issue 12)",
    "loss.nll_loss.int16": "class indices of any integer dtype (issue 12)",
    "loss.nll_loss.int32": "class indices of any integer dtype (issue 12)",
    "loss.mse_list_target": "targets may be array-likes",
    "loss.bce_p_nan": "a loss of NaN predictions is NaN (issue 12), never a finite number",
    "loss.bce_t_int": "integer 0/1 targets are read as floats",
    "loss.bce_t_bool": "bool targets are read as 0/1 floats",
    "loss.bcel_t_int": "integer 0/1 targets are read as floats",
}


def _departure(cid):
    base = cid.rsplit(".", 1)[0] if cid.endswith((".numpy", ".torch")) else cid
    return DEPARTURES.get(base) or DEPARTURES.get(cid)


CASES: list[Case] = []
_IDS: set = set()


def case(id, area, fn, expect="error", **kw):
    if id in _IDS:
        raise ValueError(f"duplicate case id {id}")
    _IDS.add(id)
    CASES.append(Case(id, area, fn, expect, **kw))


def raises(fn, *types):
    """Call ``fn``; return the exception it raised (re-raise if not of ``types``); Silent if none."""
    try:
        fn()
    except types or Exception as e:  # noqa: B030
        return e
    raise Silent("no error raised")


# --------------------------------------------------------------------------- running a case
OBSCURE_TYPES = (KeyError, IndexError, AttributeError, ZeroDivisionError, UnboundLocalError,
                 NameError, RecursionError, OverflowError, StopIteration, SystemError,
                 AssertionError)
FOREIGN_OK = ("positional argument", "unexpected keyword argument", "required positional",
              "required keyword-only", "Unable to allocate", "No such file or directory",
              "Is a directory")
OBSCURE_PATTERNS = ("operands could not be broadcast", "object is not subscriptable",
                    "has no len()", "object is not iterable", "not supported between instances",
                    "unsupported operand type", "list index out of range",
                    "can't multiply sequence",
                    "tuple index out of range",
                    "object cannot be interpreted as an integer")


def _origin(tb):
    """Innermost frame of a traceback: (file, line number, source line)."""
    last = None
    for fr, lineno in traceback.walk_tb(tb):
        last = (fr.f_code.co_filename, lineno)
    if last is None:
        return "?", 0, ""
    import linecache
    # the statement may span lines: look back a few lines for the raise
    src = " ".join(linecache.getline(last[0], n).strip() for n in range(max(1, last[1] - 4), last[1] + 1))
    return last[0], last[1], src


def _raised_by_nnlearn(e) -> tuple[bool, str]:
    """Was ``e`` raised deliberately by a check in nnlearn (or by the case itself)?"""
    f, ln, src = _origin(e.__traceback__)
    where = f"{os.path.relpath(f, ROOT) if f.startswith(ROOT) else os.path.basename(f)}:{ln}"
    case_file = os.path.dirname(f) == os.path.dirname(HERE)  # the learner's own code raised
    ours = f.startswith(PKG) or case_file
    deliberate = ours and ("raise" in src or case_file)
    # a check in nnlearn that re-raises from a foreign error keeps the foreign frame as cause only
    return deliberate, where


def _summ(x, n=160):
    try:
        if isinstance(x, Tensor):
            s = f"Tensor{tuple(x.shape)} {np.asarray(x.detach().numpy() if hasattr(x, 'detach') else x)!r}"
        else:
            s = repr(x)
    except BaseException as e:  # noqa: BLE001
        s = f"<unreprable {type(e).__name__}>"
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n] + "..."


def to_np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, Tensor):
        return np.asarray(x.detach().numpy())
    if isinstance(x, (list, tuple)):
        if all(isinstance(v, (int, float, bool, np.number)) for v in x):
            return np.asarray(x)
        return [to_np(v) for v in x]
    return np.asarray(x)


def same(a, b, rtol=1e-5, atol=1e-8):
    """Same values (NaN equal NaN), same shape, compatible kind (bool/int/float)."""
    a, b = to_np(a), to_np(b)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(
            same(x, y, rtol, atol) for x, y in zip(a, b))
    if a.shape != b.shape:
        return False
    ka, kb = a.dtype.kind, b.dtype.kind
    if ka not in "biufc" or kb not in "biufc":
        return ka == kb and a.tolist() == b.tolist()
    kinds = {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}
    if kinds.get(ka, ka) != kinds.get(kb, kb):
        return False
    if a.size == 0:
        return True
    return bool(np.allclose(a.astype(complex if "c" in (ka, kb) else float),
                            b.astype(complex if "c" in (ka, kb) else float),
                            rtol=rtol, atol=atol, equal_nan=True))


def _classify_exception(c: Case, e: BaseException):
    msg = f"{type(e).__name__}: {e}"
    deliberate, where = _raised_by_nnlearn(e)
    if isinstance(e, Silent):
        return "SILENT", str(e), where
    if c.errors and isinstance(e, c.errors):
        return "OK", msg, where
    text = str(e)
    if os.path.dirname(_origin(e.__traceback__)[0]) == os.path.dirname(HERE):
        return "OK", "the learner's own exception, passed through: " + msg, where
    if isinstance(e, OBSCURE_TYPES) and not (deliberate and len(text) > 30):
        return "OBSCURE", msg, where
    if any(p in text for p in OBSCURE_PATTERNS):
        return "OBSCURE", msg, where
    if not deliberate and not any(p in text for p in FOREIGN_OK):
        return "OBSCURE", msg, where
    if len(text) < 12:
        return "OBSCURE", msg, where
    return "OK", msg, where


def _run_in_child(c: Case):
    """Run a case here (in the child); return (outcome, detail, where)."""
    if c.backend != "numpy":
        backend.use(c.backend)
    warnings.simplefilter("ignore")
    try:
        result = c.fn()
    except BaseException as e:  # noqa: BLE001
        if c.oracle is not None and not isinstance(e, Silent):
            try:
                c.oracle()
            except Exception as te:  # torch rejects it too
                out, msg, where = _classify_exception(c, e)
                if out == "OBSCURE" and type(te) is type(e) and str(te)[:40] == str(e)[:40]:
                    return "OK", "PyTorch's own error: " + msg, where
                return out, msg, where
            out, msg, where = _classify_exception(c, e)
            # nnlearn refuses what torch accepts: fine when the message is clear
            return (out, "stricter than torch; " + msg, where)
        if c.expect == "ok":
            out, msg, where = _classify_exception(c, e)
            if isinstance(e, Silent):
                return out, msg, where
            return "OBSCURE", "error on a valid input: " + msg, where
        return _classify_exception(c, e)
    if c.oracle is not None:
        try:
            ref = c.oracle()
        except Exception as e:  # noqa: BLE001
            if _departure(c.id):
                return "OK", f"departure ({_departure(c.id)}): returned {_summ(result)}", ""
            return "SILENT", f"returned {_summ(result)}; torch raises {type(e).__name__}: {str(e)[:160]}", ""
        if not same(result, ref):
            if _departure(c.id):
                return "OK", f"departure ({_departure(c.id)}): returned {_summ(result)}", ""
            return "SILENT", f"returned {_summ(result)}; torch gives {_summ(ref)}", ""
        return "OK", f"= torch: {_summ(result)}", ""
    if c.expect == "error":
        return "SILENT", f"no error; returned {_summ(result)}", ""
    if c.check is not None:
        try:
            good = c.check(result)
        except Exception as e:  # noqa: BLE001
            return "SILENT", f"check failed on {_summ(result)}: {type(e).__name__}: {e}", ""
        if good is False:
            return "SILENT", f"wrong result: {_summ(result)}", ""
        if isinstance(good, str):
            return "SILENT", good, ""
    return "OK", f"returned {_summ(result)}", ""


def run_case(c: Case):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            sys.stdout = io.StringIO()
            out = _run_in_child(c)
        except BaseException as e:  # noqa: BLE001
            out = ("OBSCURE", f"harness: {type(e).__name__}: {e}", "")
        data = json.dumps(out).encode()
        with os.fdopen(w, "wb") as fh:
            fh.write(data)
        os._exit(0)
    os.close(w)
    t0 = time.time()
    chunks = []
    import select
    with os.fdopen(r, "rb") as fh:
        while True:
            left = c.timeout - (time.time() - t0)
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "HANG", f"no outcome within {c.timeout} s", "", time.time() - t0
            ready, _, _ = select.select([fh], [], [], left)
            if ready:
                b = os.read(fh.fileno(), 1 << 20)
                if not b:
                    break
                chunks.append(b)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return "OBSCURE", f"child died (status {status})", "", time.time() - t0
    out, detail, where = json.loads(b"".join(chunks).decode())
    return out, detail, where, time.time() - t0


# --------------------------------------------------------------------------- the cases
def _load_cases():
    sys.modules.setdefault("probe", sys.modules[__name__])
    sys.path.insert(0, os.path.dirname(HERE))
    import cases_engine  # noqa: F401
    import cases_tools  # noqa: F401


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--area", action="append", help="only these areas")
    ap.add_argument("--id", action="append", help="only case ids starting with this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    _load_cases()
    cases = [c for c in CASES if (not args.area or c.area in args.area)
             and (not args.id or any(c.id.startswith(i) for i in args.id))]
    counts = collections.defaultdict(collections.Counter)
    results = []
    t0 = time.time()
    for c in cases:
        out, detail, where, dt = run_case(c)
        counts[c.area][out] += 1
        results.append({"id": c.id, "area": c.area, "expect": c.expect, "outcome": out,
                        "detail": detail, "where": where, "seconds": round(dt, 2)})
        if args.verbose or out != "OK":
            print(f"{out:8s} {c.id:40s} {detail[:300]}  [{where}]", flush=True)
    classes = ["OK", "OBSCURE", "SILENT", "HANG"]
    print(f"\n{'area':14s} " + " ".join(f"{k:>8s}" for k in classes + ["total"]))
    tot = collections.Counter()
    for area in sorted(counts):
        tot.update(counts[area])
        print(f"{area:14s} " + " ".join(f"{counts[area][k]:8d}" for k in classes)
              + f" {sum(counts[area].values()):8d}")
    print(f"{'TOTAL':14s} " + " ".join(f"{tot[k]:8d}" for k in classes) + f" {sum(tot.values()):8d}")
    print(f"({time.time() - t0:.0f} s)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0 if tot["SILENT"] == tot["HANG"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
