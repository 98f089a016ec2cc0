"""A MyST/Sphinx role that links an exercise workbook to Colab.

    {workbook}`01_chain_rule`   →  "Open workbook 01_chain_rule in Colab"

The URL is built from the repository set in ``_config.yml`` (which Jupyter Book
passes to the theme as ``repository_url``), so the address lives in one place.
A workbook that does not exist in ``notebooks/`` is a build warning, which
``-W`` turns into an error.
"""

from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)


def workbook_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    app = env.app
    theme = app.config.html_theme_options
    repo = theme.get("repository_url", "").rstrip("/")
    branch = theme.get("repository_branch", "main")
    stem = text.strip()
    path = Path(app.srcdir) / "notebooks" / f"{stem}.ipynb"
    if not path.exists():
        logger.warning(f"workbook notebooks/{stem}.ipynb does not exist", location=(env.docname, lineno))
    org_repo = repo.replace("https://github.com/", "")
    url = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/notebooks/{stem}.ipynb"
    node = nodes.reference(rawtext, f"notebooks/{stem}.ipynb", refuri=url, classes=["workbook-link"])
    return [node], []


def setup(app):
    app.add_role("workbook", workbook_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
