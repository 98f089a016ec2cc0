"""tools/run_profile.py: the pieces that decide what a profile tests.

The profiles themselves (a venv, every notebook) take far too long for the
suite; they run by their one command and in .github/workflows/profiles.yml.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import run_profile  # noqa: E402


def test_lower_bounds_pin_every_dependency_and_extra_at_its_bound(tmp_path):
    py = tmp_path / "pyproject.toml"
    py.write_text('''
[project]
name = "x"
dependencies = ["numpy>=1.26", "scipy >= 1.11, <2", "dask[distributed]>=2024.1", "tqdm",
                "tomli>=2.0; python_version < '3.11'"]
[project.optional-dependencies]
torch = ["torch>=2.2,<3"]
widgets = ["ipywidgets>=7.7", "numpy>=1.26"]
''')
    assert run_profile.lower_bounds(py) == [
        "numpy==1.26", "scipy==1.11", "dask[distributed]==2024.1", "tqdm",
        "tomli==2.0; python_version < '3.11'", "torch==2.2", "ipywidgets==7.7"]


def test_the_lower_bound_profile_follows_pyproject():
    spec = run_profile.profile_spec("lower-bounds")["packages"]
    assert "ipywidgets==7.7" in spec and "torch==2.2" in spec and "numpy==1.26" in spec
    assert set(run_profile.EXECUTION) <= set(spec)


def test_the_colab_profile_has_colabs_versions_and_our_torch():
    spec = run_profile.profile_spec("colab")
    pins = dict(p.split("==") for p in spec["packages"] if "==" in p)
    assert pins["numpy"].startswith("2.0.") and pins["matplotlib"].startswith("3.10.")
    assert pins["scikit-learn"].startswith("1.6.") and pins["ipywidgets"].startswith("7.7.")
    torch_pin = next(l for l in (ROOT / "requirements.txt").read_text().splitlines() if l.startswith("torch=="))
    assert f"torch=={pins['torch']}" == torch_pin
    assert spec["google_colab"] and spec["install"] == "notebook cell"


def test_the_repository_url_is_served_from_this_checkout(monkeypatch):
    # what the notebooks' install cell fetches, through the profile's git environment
    monkeypatch.delenv("GIT_CONFIG_COUNT", raising=False)
    url = run_profile.notebooks.repository_url()
    env = dict(os.environ, **run_profile.git_env(url))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-remote", url, "HEAD"], env=env, capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == head.stdout.strip()


def test_git_env_appends_to_an_existing_git_config_list(monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_COUNT", "2")
    env = run_profile.git_env("https://example.org/repo")
    assert env == {"GIT_CONFIG_COUNT": "3", "GIT_CONFIG_KEY_2": f"url.{run_profile.ROOT}.insteadOf",
                   "GIT_CONFIG_VALUE_2": "https://example.org/repo"}


def test_the_profile_environment_cannot_see_the_checkout(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("NNLEARN_BACKEND", "torch")
    env = run_profile.clean_env(X="1")
    assert "PYTHONPATH" not in env and "NNLEARN_BACKEND" not in env and env["X"] == "1"
