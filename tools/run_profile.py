"""Run every chapter and workbook notebook in an environment that is not ours.

Two profiles, one command each (from the repository root, in the project's
environment)::

    python tools/run_profile.py colab          # the package versions a Colab runtime ships
    python tools/run_profile.py lower-bounds   # the lower bounds of pyproject.toml

For a profile the script

1. builds a virtual environment outside the repository (under
   ``$NNLEARN_PROFILE_DIR``, default ``~/.cache/nnlearn/profiles/<profile>``)
   with that profile's versions, plus what executing notebooks needs
   (ipykernel, nbclient, nbformat). The venv is reused on the next run while
   its specification is unchanged (``--rebuild`` forces a new one);
2. **colab**: puts a stand-in ``google.colab`` module into the venv and has
   the kernel import it at start-up, as Colab does, so each notebook's first
   cell (the Colab install cell, ``pip install git+<repository url>``) really
   runs. git's ``url.<checkout>.insteadOf=<repository url>`` (passed through
   ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``, nothing
   written to any git config) makes that install take nnlearn from this
   checkout, without editing the notebooks: it installs the **committed
   HEAD**, so commit first. nnlearn is uninstalled before each run, so the
   install cell has to work;
   **lower-bounds**: installs nnlearn the same way (committed HEAD, through
   the same URL) before the run, with ``--no-deps`` so that nothing moves off
   its lower bound;
3. executes every ``.ipynb`` of ``book/`` and ``notebooks/`` (copies, in a
   temporary directory; no ``PYTHONPATH``, so the checkout cannot leak in: a
   last cell checks that ``nnlearn`` came from the venv) and prints a
   pass/fail table, exiting 1 if any notebook fails.

Options: ``--only PATTERN`` (glob on the notebook's path, repeatable),
``--backend torch`` (sets ``NNLEARN_BACKEND`` in the kernels), ``--jobs N``
(notebooks at once; default 2), ``--keep DIR`` (write the executed notebooks
there), ``--rebuild``, ``--print-spec`` (the profile's packages, then exit).
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks  # noqa: E402  (tools/notebooks.py: the repository URL and the notebook list)

ROOT = notebooks.ROOT
SPEC_VERSION = 1                     # bump when the way a venv is built changes
EXECUTION = ["ipykernel", "nbclient", "nbformat"]

# What a Colab runtime ships (Python 3 CPU runtime). torch is the pin of
# requirements.txt: `pip install torch==2.13.0` takes the CPU build on this disk.
COLAB = [
    "numpy==2.0.2",
    "matplotlib==3.10.0",
    "scikit-learn==1.6.1",
    "ipywidgets==7.7.1",
    "ipython==7.34.0",
    "ipykernel==6.17.1",
    "tqdm==4.67.1",
    "threadpoolctl==3.6.0",
    "torch==2.13.0",
]

LOWER_BOUND = re.compile(r"^\s*([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)\s*>=\s*([^,;\s]+)[^;]*(;.*)?$")


def lower_bounds(pyproject: Path | None = None) -> list[str]:
    """Every dependency of pyproject.toml (and of its extras) pinned to its lower
    bound: ``numpy>=1.26`` -> ``numpy==1.26``; one without a lower bound as it is."""
    meta = tomllib.loads((pyproject or ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta.get("dependencies", []))
    for extra in meta.get("optional-dependencies", {}).values():
        reqs += extra
    out = []
    for r in reqs:
        m = LOWER_BOUND.match(r)
        out.append(f"{m.group(1)}=={m.group(2)}{m.group(3) or ''}" if m else r.strip())
    return list(dict.fromkeys(out))


def profile_spec(name: str) -> dict:
    """What a profile's venv holds and how nnlearn gets into it."""
    if name == "colab":
        return {"packages": COLAB + EXECUTION, "google_colab": True, "install": "notebook cell"}
    if name == "lower-bounds":
        return {"packages": lower_bounds() + EXECUTION, "google_colab": False, "install": "before the run"}
    raise SystemExit(f"unknown profile {name!r}; profiles are colab, lower-bounds")


# ----------------------------------------------------------------------------- the venv

def clean_env(**extra) -> dict:
    """The caller's environment without what would let the checkout or another
    environment leak into the venv's processes."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "IPYTHONDIR",
                        "JUPYTER_PATH", "CONDA_PREFIX", "NNLEARN_BACKEND", "NNLEARN_DISPLAY")
           and not k.startswith("PYTEST")}
    env.update(extra)
    return env


def venv_dir(name: str) -> Path:
    base = os.environ.get("NNLEARN_PROFILE_DIR") or Path.home() / ".cache" / "nnlearn" / "profiles"
    return Path(base) / name


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def fingerprint(spec: dict) -> str:
    text = json.dumps({"spec": spec, "python": sys.version_info[:2], "v": SPEC_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


GOOGLE_COLAB_STAND_IN = '''"""A stand-in for Colab's ``google.colab`` package (tools/run_profile.py).

Colab's kernel imports ``google.colab`` when it starts; notebooks test
``"google.colab" in sys.modules`` to know they run there. This module makes
that test true in the profile's kernels; it provides nothing else.
"""
'''


def build_venv(name: str, spec: dict, rebuild: bool = False) -> tuple[Path, bool]:
    """The profile's venv, built unless one with the same specification exists.
    Returns ``(venv, reused)``."""
    venv = venv_dir(name)
    stamp = venv / "nnlearn-profile.json"
    want = fingerprint(spec)
    if not rebuild and stamp.exists() and _python(venv).exists():
        if json.loads(stamp.read_text()).get("fingerprint") == want:
            return venv, True
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    env = clean_env()
    print(f"building the {name} venv in {venv} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    _pip(venv, ["install", "-q", *spec["packages"]], env)
    purelib = Path(subprocess.run([str(_python(venv)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, env=env, capture_output=True, text=True).stdout.strip())
    ipython_dir = venv / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    if spec["google_colab"]:
        pkg = purelib / "google" / "colab"          # no google/__init__.py: google stays a namespace package
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / "__init__.py").write_text(GOOGLE_COLAB_STAND_IN)
        (startup / "00-google-colab.py").write_text("import google.colab  # as Colab's kernel does at start-up\n")
    kernel = venv / "share" / "jupyter" / "kernels" / kernel_name(name)
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(_python(venv)), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"nnlearn profile {name}",
        "language": "python",
        # the profile's own IPython directory: its start-up files, none of the user's
        "env": {"IPYTHONDIR": str(ipython_dir)},
    }, indent=1))
    stamp.write_text(json.dumps({"fingerprint": want, "spec": spec}, indent=1))
    return venv, False


_PIP_NOISE = re.compile(r"^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$")


def _pip(venv: Path, args: list[str], env: dict) -> None:
    """Run the venv's pip; its warnings shown, less one line per package for a local
    index that does not hold it (noise from some machines' pip configuration)."""
    proc = subprocess.run([str(_python(venv)), "-m", "pip", *args], env=env, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr.splitlines():
        if not _PIP_NOISE.match(line):
            print(line, file=sys.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"pip {' '.join(args)} failed (exit {proc.returncode})")


def kernel_name(profile: str) -> str:
    return f"nnlearn-profile-{profile}"


# ----------------------------------------------------------------------------- nnlearn from the checkout

def git_env(url: str) -> dict:
    """Environment variables that make git fetch ``url`` from this checkout."""
    n = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    return {"GIT_CONFIG_COUNT": str(n + 1),
            f"GIT_CONFIG_KEY_{n}": f"url.{ROOT}.insteadOf",
            f"GIT_CONFIG_VALUE_{n}": url}


def head() -> tuple[str, bool]:
    """The committed HEAD that will be installed, and whether the work tree has changes."""
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return sha or "?", bool(dirty)


# ----------------------------------------------------------------------------- running the notebooks

RUNNER = textwrap.dedent('''
    """Execute one notebook with nbclient; print a JSON result (tools/run_profile.py)."""
    import json, re, sys, time, traceback
    import nbformat
    from nbclient import NotebookClient

    path, kernel, timeout, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys, nnlearn\\n"
        "assert 'site-packages' in nnlearn.__file__, f'nnlearn came from {nnlearn.__file__}, not the venv'\\n"
        "print('NNLEARN_FROM', nnlearn.__file__)"))
    result = {"ok": False, "error": "", "cell": None}
    t0 = time.time()
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}})
    try:
        client.execute()
        result["ok"] = True
    except Exception as e:   # CellExecutionError, a timeout, a dead kernel
        lines = [l for l in re.sub(r"\\x1b\\[[0-9;]*m", "", str(e)).splitlines() if l.strip()]
        errs = [l for l in lines if ("Error" in l or "Exception" in l) and not l.startswith(("-", " "))]
        result["error"] = (errs[-1] if errs else (lines[-1] if lines else type(e).__name__))[:300]
    # An exception raised while *displaying* a result (a _repr_*_ method) does not stop
    # the cell: IPython shows its traceback as an error output and goes on. It is a
    # failure all the same; the reader sees a traceback.
    for i, c in enumerate(nb.cells):
        errors = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
        if c.cell_type == "code" and errors:
            result["cell"] = i
            if result["ok"]:
                result["ok"] = False
                result["error"] = f"{errors[0].get('ename')}: {errors[0].get('evalue')} (while displaying)"[:300]
            break
    result["seconds"] = round(time.time() - t0, 1)
    nbformat.write(nb, out)
    print("NNLEARN_RESULT " + json.dumps(result))
''')


def notebook_paths(only: list[str]) -> list[Path]:
    paths = [notebooks.twin_of(md) for md in notebooks.sources()]
    if only:
        paths = [p for p in paths if any(fnmatch.fnmatch(str(p.relative_to(ROOT)), pat) for pat in only)]
    return paths


def run_one(venv: Path, profile: str, src: Path, work: Path, env: dict, timeout: int) -> dict:
    rel = src.relative_to(ROOT)
    dst = work / rel
    out = work / "executed" / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(_python(venv)), str(venv / "run_notebook.py"), str(dst), kernel_name(profile),
                           str(timeout), str(out)], cwd=dst.parent, env=env, capture_output=True, text=True)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("NNLEARN_RESULT ")), None)
    if line is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        return {"ok": False, "error": tail[-1][:300] if tail else f"runner exited {proc.returncode}",
                "cell": None, "seconds": 0.0, "path": str(rel), "executed": str(out)}
    res = json.loads(line[len("NNLEARN_RESULT "):])
    res.update(path=str(rel), executed=str(out))
    return res


def versions(venv: Path, env: dict) -> str:
    code = ("import importlib.metadata as m\n"
            "names = ['numpy', 'matplotlib', 'scikit-learn', 'ipywidgets', 'torch', 'ipykernel', 'nnlearn']\n"
            "out = []\n"
            "for n in names:\n"
            "    try: out.append(f'{n} {m.version(n)}')\n"
            "    except m.PackageNotFoundError: out.append(f'{n} -')\n"
            "import sys; print(f'Python {sys.version.split()[0]}, ' + ', '.join(out))")
    return subprocess.run([str(_python(venv)), "-c", code], env=env, capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", choices=["colab", "lower-bounds"])
    parser.add_argument("--only", action="append", default=[], metavar="PATTERN",
                        help="run only notebooks whose path matches (glob, e.g. 'book/ch04*')")
    parser.add_argument("--backend", choices=["numpy", "torch"], help="NNLEARN_BACKEND in the kernels")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    parser.add_argument("--keep", type=Path, help="copy the executed notebooks into this directory")
    parser.add_argument("--rebuild", action="store_true", help="build the venv anew")
    parser.add_argument("--print-spec", action="store_true", help="print the profile's packages and exit")
    args = parser.parse_args(argv)

    spec = profile_spec(args.profile)
    if args.print_spec:
        print("\n".join(spec["packages"]))
        return 0
    paths = notebook_paths(args.only)
    if not paths:
        print("no notebook matches", args.only, file=sys.stderr)
        return 2
    t_start = time.time()
    venv, reused = build_venv(args.profile, spec, rebuild=args.rebuild)
    t_venv = time.time() - t_start
    (venv / "run_notebook.py").write_text(RUNNER)           # this version's runner, also in a reused venv
    url = notebooks.repository_url()
    sha, dirty = head()
    threads = {v: os.environ.get(v, "1") for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONNOUSERSITE="1",
                    JUPYTER_PATH=str(venv / "share" / "jupyter"), **threads, **git_env(url))
    if args.backend:
        env["NNLEARN_BACKEND"] = args.backend
    subprocess.run([str(_python(venv)), "-m", "pip", "uninstall", "-q", "-y", "nnlearn"], env=env, capture_output=True)
    if spec["install"] == "before the run":
        _pip(venv, ["install", "-q", "--no-deps", f"nnlearn @ git+{url}"], env)

    print(f"profile {args.profile}: {versions(venv, env)}")
    print(f"venv {venv} ({'reused' if reused else f'built in {t_venv:.0f} s'}); nnlearn: committed HEAD {sha} "
          f"of {ROOT}, installed {spec['install']}" + (f"; NNLEARN_BACKEND={args.backend}" if args.backend else ""))
    if dirty:
        print("warning: the work tree has uncommitted changes; they are not in what is tested", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix=f"nnlearn-{args.profile}-") as tmp:
        work = Path(tmp)
        for d in {p.relative_to(ROOT).parts[0] for p in paths}:      # the notebooks' folders, without the package
            shutil.copytree(ROOT / d, work / d)
        results = []
        rest = paths
        if spec["install"] == "notebook cell":
            # The first notebook installs nnlearn alone; the others then find it installed,
            # so two pip processes never write into the venv at once.
            results.append(run_one(venv, args.profile, paths[0], work, env, args.timeout))
            _report_line(results[-1])
            rest = paths[1:]
        with futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for res in pool.map(lambda p: run_one(venv, args.profile, p, work, env, args.timeout), rest):
                results.append(res)
                _report_line(res)
        if args.keep:
            shutil.copytree(work / "executed", args.keep, dirs_exist_ok=True)

    failed = [r for r in results if not r["ok"]]
    width = max(len(r["path"]) for r in results)
    print(f"\n{'notebook'.ljust(width)}  result  seconds  first error")
    for r in sorted(results, key=lambda r: r["path"]):
        err = "" if r["ok"] else (f"cell {r['cell']}: " if r["cell"] is not None else "") + r["error"]
        print(f"{r['path'].ljust(width)}  {'pass' if r['ok'] else 'FAIL'}    {r['seconds']:7.0f}  {err}")
    print(f"\nprofile {args.profile}: {len(results) - len(failed)} passed, {len(failed)} failed "
          f"({time.time() - t_start:.0f} s)")
    return 1 if failed else 0


def _report_line(res: dict) -> None:
    print(f"  {'pass' if res['ok'] else 'FAIL'}  {res['path']} ({res['seconds']:.0f} s)", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
