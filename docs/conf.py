"""Sphinx configuration of flaskproto's reference (make docs)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

from flaskproto import __version__  # noqa: E402

project = "flaskproto"
release = version = __version__
extensions = ["myst_parser", "sphinx_click", "flaskproto_docs"]
# MyST: ```{directive} fences, and anchors for headings down to ###.
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"flaskproto {__version__}"
