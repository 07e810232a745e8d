"""augbench's harness: registries, configuration, the shared training loop, the results store and reports."""

__version__ = "0.1.0"
