"""augbench's harness: registries, configuration, the shared training loop, the results store and reports.

Importing it pins the CPU kernels that decide a result's digits (bench/core/policy.py) before anything here
loads numpy or torch; `AUGBENCH_KERNELS=native` leaves them to each library.
"""

from bench.core.policy import apply_kernel_policy as _apply_kernel_policy

__version__ = "0.1.0"

_apply_kernel_policy()
