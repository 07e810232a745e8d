"""`python -m bench` is `python -m augbench`: the same CLI as the `augbench` console script, no install needed."""

from augbench.cli import main

raise SystemExit(main())
