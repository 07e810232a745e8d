"""The one place augbench's version is written: the package (`augbench.__version__`), the wheel's metadata
(pyproject.toml's `[tool.setuptools.dynamic]`) and `augbench --version` all read it from here."""

__version__ = "0.1.0"
