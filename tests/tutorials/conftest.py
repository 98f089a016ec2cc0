import sys
from pathlib import Path

# `from tutorials.harness import ...` and `from conftest import ...` (tests/) both work
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
