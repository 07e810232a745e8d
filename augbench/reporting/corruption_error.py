"""Corruption error relative to `none`: Hendrycks & Dietterich's mCE with the suite's `none` as the baseline model.

For a model f, corruption c and severities s, CE_c = sum_s E(f, s, c) / sum_s E(none, s, c), with E the error
(1 - accuracy); mCE is the mean of CE_c over the benchmark's corruptions, in percent. The paper's baseline is
AlexNet; here it is `none` on the same task, training-set size and seed, so mCE < 100 means the method's models
err less than plain training under the corruptions, and `none` scores 100 by definition. Only rows scored on a
published benchmark (`robust.corruptions=benchmark`: corruption_json holds {corruption: {severity: accuracy}})
have one.
"""

from __future__ import annotations

import json
import math


def benchmark_accuracies(corruption_json: object) -> dict[str, dict[str, float]] | None:
    """A row's {corruption: {severity: accuracy}}, or None for a row scored on the suite's own set (or none)."""
    if not isinstance(corruption_json, str):
        return None
    parsed = json.loads(corruption_json)
    if not parsed or not all(isinstance(levels, dict) for levels in parsed.values()):
        return None
    return parsed


def mce(model_json: object, baseline_json: object) -> float:
    """mCE (percent) of a row against the baseline row's; NaN when either was not scored on a benchmark, they
    cover different (corruption, severity) cells, or the baseline made no error on some corruption."""
    model, baseline = benchmark_accuracies(model_json), benchmark_accuracies(baseline_json)
    if model is None or baseline is None or {c: sorted(s) for c, s in model.items()} != {c: sorted(s) for c, s in baseline.items()}:
        return math.nan
    ratios = []
    for corruption, levels in model.items():
        base_error = sum(1 - baseline[corruption][s] for s in levels)
        if base_error <= 0:
            return math.nan
        ratios.append(sum(1 - acc for acc in levels.values()) / base_error)
    return 100 * sum(ratios) / len(ratios)
