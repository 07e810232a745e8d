"""`python -m bench` from a checkout: the name the project has always run under (a GPU box runs the suite from the
repository, uninstalled). The code is the `augbench` package; this folder is not part of the distribution, so an
installed augbench claims no top-level name but its own."""

import augbench  # noqa: F401,E402  (applies the execution policy, as `import bench` always did)
