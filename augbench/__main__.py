"""`python -m bench` is the same CLI as the `augbench` console script, with no install needed."""

from augbench.cli import main

raise SystemExit(main())
