"""augbench: which data-augmentation strategy to use, what it costs and what it buys, measured one cell at a time.

Importing the package pins the CPU kernels that decide a result's digits (augbench/core/policy.py) before anything
here loads numpy or torch; `AUGBENCH_KERNELS=native` leaves them to each library. The Python API (augbench/api.py:
`run`, `load`, `report`, `register_method`, `register_task`, `UsageError`) is loaded on first use, so that
`augbench list` and the worker processes import only what they need.
"""

from augbench.core.policy import apply_kernel_policy as _apply_kernel_policy

from augbench._version import __version__

_apply_kernel_policy()

_API = ("UsageError", "load", "register_method", "register_task", "report", "run")
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        from augbench import api

        return getattr(api, name)
    raise AttributeError(f"module 'augbench' has no attribute {name!r}")
