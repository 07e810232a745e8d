"""Adversarial sentences of the text tasks' word-substitution attack, to read (issue 37, point 1).

TextAttack 0.3.11 is the issue's reference, and it cannot run here: its WordNet swap reads NLTK's WordNet corpus,
which NLTK downloads at run time, and this machine has no internet (its other dependencies, transformers and
datasets among them, would also enter the lock for one check). So, as the issue allows, the check is a sample of
adversarial sentences read by hand: the quick `none` cell of seed 0 at the smaller size of each text task is run
through the sweep's own code path (`run_cell`), the attack's results are kept as it runs, and the first successful
attacks of each task are written beside their originals, with the words changed in bold.

    .venv/bin/python studies/robustness/word_attack_samples.py results/robustness/word-attack-samples.md [PER_TASK]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, ".")
import numpy as np  # noqa: E402
import torch  # noqa: E402

import augbench.evaluation.robustness as robustness  # noqa: E402
from augbench.core.provenance import git_state  # noqa: E402
from augbench.runner.sweep import SweepSpec, plan, run_cell  # noqa: E402

TASKS, FRACTION, SEED = ("sst2", "trec"), 0.5, 0


def marked(original: str, adversarial: str) -> str:
    """The adversarial sentence with each changed word in bold."""
    return " ".join(f"**{new}**" if new != old else new for old, new in zip(original.split(), adversarial.split()))


def main(output: str, per_task: int = 10) -> None:
    kept: list[tuple[list[str], object]] = []
    attack = robustness.pwws

    def recording(predict, sentences, labels, config, *args, **kwargs):
        result = attack(predict, sentences, labels, config, *args, **kwargs)
        kept.append((list(sentences), result, np.asarray(labels)))
        return result

    robustness.pwws = recording  # the sweep's own evaluation, with its results kept
    lines = ["# Word-substitution attack: adversarial sentences to read (issue 37)", "",
             f"Made by `studies/robustness/word_attack_samples.py` at commit {git_state()[0] or 'unknown'}: the quick "
             f"profile's `none` cell, seed {SEED}, fraction {FRACTION:g} (1,000 training sentences) of each text task, "
             "attacked by PWWS (augbench/evaluation/word_substitution.py) with its defaults: at most a fifth of the words, "
             "stop words kept, one-word WordNet synonyms of each word's dominant part of speech. The first successful "
             f"attacks of each task in test order (up to {per_task}), the changed words in bold.", ""]
    for task in TASKS:
        kept.clear()
        spec = SweepSpec(tasks=[task], methods=["none"], seeds=[SEED], fractions=[FRACTION], profile="quick",
                         device=torch.device("cpu"), data_dir=None)
        record = run_cell(plan(spec)[0], torch.device("cpu"), progress=False)
        if record.status != "ok" or not kept:
            sys.exit(f"{task}: the cell failed or ran no word attack: {record.error}")
        sentences, result, labels = kept[0]
        names = plan(spec)[0].task.class_names
        done = [i for i in range(len(sentences)) if result.correct[i] and not result.robust[i]][:per_task]
        lines += [f"## {task}", "",
                  f"Clean accuracy on the attacked examples {result.correct.mean():.1%}; under the attack "
                  f"{result.accuracy:.1%} (success rate {result.success_rate:.1%}, mean share of words changed "
                  f"{result.mean_changed:.1%}); the row's clean accuracy on the whole test split {record.clean_acc:.1%}.",
                  "", "| # | label | original | adversarial (changed words in bold) |", "|---|---|---|---|"]
        for k, i in enumerate(done, start=1):
            lines.append(f"| {k} | {names[int(labels[i])]} | {sentences[i]} | {marked(sentences[i], result.adversarial[i])} |")
        lines.append("")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text("\n".join(lines))
    print(f"wrote {output}")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
