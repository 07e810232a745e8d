"""The README's headline: one block per modality and per threat model, each comparing comparable numbers.

A block holds the tasks of one modality (images, text, audio): first clean accuracy at the smaller size of the
profile's default grid, then robust accuracy under each task's own attack radius. Each shows `none`'s absolute
accuracy, every method's gain over it with its 95% interval and a star where the gain is significant after the
leaderboard's correction, a column naming the extra data a method uses (as RobustBench marks extra data), and
methods ranked within the block only. One sentence under each block answers "what should I use here", made from
the same numbers. Everything comes from the leaderboard's `summarize` lines, so the README, the leaderboard and
its stars cannot disagree; `augbench report --readme README.md` writes the blocks between the README's markers and
a test checks the committed README against the committed baseline.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from augbench.config.profiles import PROFILES
from augbench.core.errors import UsageError
from augbench.reporting.exchange import is_curve_row
from augbench.reporting.leaderboard import BASELINE, MIXED_POLICY, format_interval, PERCENT, summarize
from augbench.reporting.stats import ALPHA, RULE

START, END = "<!-- headline:start -->", "<!-- headline:end -->"
# The blocks, in order: a task's block is its raw input kind (text) or its modality; tasks of unknown kinds go last.
BLOCKS = {"image": "Images", "text": "Text", "audio": "Audio"}
POOL = "(pool)"
POOL_DATA = "all train labels"  # what a `(pool)` generator was fitted on (the legend says it in full)


def block_of(task: str) -> str:
    """The headline block of a registered task ("image", "text", "audio"), or "other"."""
    from augbench.tasks import TASKS

    try:
        cls = TASKS.get(task)
    except Exception:  # an unregistered task in an old store: its own block
        return "other"
    return "text" if getattr(cls, "raw_kind", None) == "text" else str(getattr(cls, "modality", "other"))


def attack_of(task: str, eval_config: object) -> str:
    """The threat model a task's rows were attacked under, in words: the L-inf radius and the units it is in."""
    from augbench.tasks import TASKS

    try:
        cls = TASKS.get(task)
        eps = cls.attack_eps
    except Exception:
        return "its own radius"
    if isinstance(eval_config, str) and '"eps": ' in eval_config and '"eps": null' not in eval_config:
        eps = float(re.search(r'"eps": ([0-9.eE+-]+)', eval_config).group(1))
    if getattr(cls, "modality", "") == "image":  # 8/255 as the field writes it; MNIST's 0.3 as it is
        steps = eps * 255
        return f"L∞ {round(steps)}/255" if abs(steps - round(steps)) < 1e-6 and steps < 32 else f"L∞ {eps:g}"
    return f"L∞ {eps:g}"


@dataclass(frozen=True)
class Entry:
    """One method's number in one task column of a block: a gain (or `none`'s level) with its interval and star."""

    mean: float
    low: float
    high: float
    n: int
    significant: bool
    mixed: bool


def _entry(line: pd.Series, prefix: str) -> Entry:
    return Entry(float(line[f"{prefix}_mean"]), float(line[f"{prefix}_low"]), float(line[f"{prefix}_high"]),
                 int(line[f"{prefix}_n"]), bool(line[f"{prefix}_q"] < ALPHA),
                 bool(line[f"{prefix}_mixed"]) and math.isnan(float(line[f"{prefix}_p"])))


def _text(entry: Entry | None) -> str:
    if entry is None or math.isnan(entry.mean):
        return "–"
    text = f"{100 * entry.mean:+.1f}"
    if not math.isnan(entry.low):
        text += f" ±{100 * (entry.high - entry.low) / 2:.1f}"
    return text + ("*" if entry.significant else "") + (MIXED_POLICY if entry.mixed else "")


def _level(line: pd.Series, metric: str) -> str:
    mean, low, high, n = (line[f"{metric}_{part}"] for part in ("mean", "low", "high", "n"))
    if pd.isna(mean):
        return "–"
    return format_interval(100 * mean, 100 * low, 100 * high, int(n), PERCENT).replace(" ± ", " ±") + "%"


@dataclass
class Block:
    """One block of the headline: its title, table, the sentence that answers it and its notes."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    answer: str


def _names(tasks: list[str], sizes: dict[str, int | None]) -> list[str]:
    return [f"{task} (n={sizes[task]:,})" if sizes[task] else task for task in tasks]


def _listed(entries: dict[str, Entry], tasks: list[str]) -> str:
    """"+6.2 on cifar10, +0.4 on mnist": the gains of one method, without intervals."""
    return ", ".join(f"{100 * entries[t].mean:+.1f} on {t}" for t in tasks if t in entries)


def threat_of(task: str, metric: str | None, radius: str) -> str:
    """A robust column's attack in words: the text tasks' word substitutions, the audio task's waveform PGD, the
    images' worst case over their attacks or their PGD at the task's radius."""
    if metric == "robust_acc":
        block = block_of(task)
        if block == "text":
            return "word substitutions"
        if block == "audio":
            return "waveform PGD"
        # a column header names its radius (the legend names the attacks); a title or a sentence names the attacks
        return f"worst case {radius}" if radius else "the worst case of FGSM, PGD and AutoAttack"
    return f"PGD {radius}".strip()


def _answer(kind: str, ranked: list[tuple[str, dict[str, Entry]]], tasks: list[str], costs: dict[str, float],
            threat: str = "PGD") -> str:
    """The block's one sentence, from its numbers: the best method that gains significantly on every task it was
    measured on (or on some), else that nothing does at this budget."""
    what = "clean accuracy" if kind == "clean" else f"accuracy under {threat}"

    def won(entries: dict[str, Entry]) -> list[str]:
        return [t for t in tasks if t in entries and entries[t].significant and entries[t].mean > 0]

    def lost(entries: dict[str, Entry]) -> list[str]:
        return [t for t in tasks if t in entries and entries[t].significant and entries[t].mean < 0]

    everywhere = [(label, e) for label, e in ranked if e and len(won(e)) == len(e) and not lost(e)]
    somewhere = [(label, e) for label, e in ranked if won(e)]
    if everywhere or somewhere:
        label, entries = (everywhere or somewhere)[0]
        gains = _listed(entries, tasks)
        where = "every task it ran on" if label in dict(everywhere) else " and ".join(won(entries))
        cost = f", at {costs[label]:.1f}x `{BASELINE}`'s time" if not math.isnan(costs.get(label, math.nan)) else ""
        others = [lab for lab, e in (everywhere or somewhere)[1:3]]
        also = f"; {', '.join(f'`{o}`' for o in others)} also gain{'s' * (len(others) == 1)} significantly" if others else ""
        return f"For {what}, use `{label}`: {gains} ({RULE} on {where}){cost}{also}."
    best = next(((label, e) for label, e in ranked if e), None)
    if best is None:
        return f"No method was compared with `{BASELINE}` here."
    untested = " (its pairs mix execution policies: untested)" if any(e.mixed for e in best[1].values()) else ""
    return (f"No method raises {what} significantly here at this budget ({RULE}); the largest mean gain is "
            f"`{best[0]}`'s ({_listed(best[1], tasks)}){untested}.")


def headline_blocks(rows: pd.DataFrame, profile: str | None = None) -> list[Block]:
    """The blocks of the headline for `profile` (default: the one with most ok rows).

    Raises:
        UsageError: no ok row of that profile, or no method with a gain over `none`.
    """
    ok = rows[(rows["status"] == "ok") & ~is_curve_row(rows)]
    if ok.empty:
        raise UsageError("no ok rows to make the headline from")
    profile = profile or str(ok["profile"].value_counts().idxmax())
    summary = summarize(ok[ok["profile"] == profile])
    if summary.empty:
        raise UsageError(f"no ok rows of profile {profile!r} to make the headline from")
    defaults = PROFILES[profile].default_fractions if profile in PROFILES else tuple(sorted(set(summary["fraction"])))
    fraction = min(defaults)  # the smaller size of the grid `make bench` runs, which every method has
    lines = summary[summary["fraction"].map(lambda f: math.isclose(f, fraction))]
    if lines.empty or not (lines["method"] != BASELINE).any():
        raise UsageError(f"no method with a gain over `{BASELINE}` in profile {profile!r}")
    attacks = {task: attack_of(task, ok.loc[ok["task"] == task, "eval_config"].iloc[0]) for task in lines["task"].unique()}
    blocks = []
    order = list(BLOCKS) + sorted({block_of(t) for t in lines["task"]} - set(BLOCKS))
    for block in order:
        part = lines[lines["task"].map(block_of) == block]
        if part.empty:
            continue
        tasks = sorted(part["task"].unique())
        sizes = {t: (int(part.loc[part["task"] == t, "n_train"].iloc[0]) if part.loc[part["task"] == t, "n_train"].notna().all() else None)
                 for t in tasks}
        name = BLOCKS.get(block, block.capitalize())
        # Each task's robust column is its real-input attack (`robust_metric`): none for a task attacked only in
        # feature space (its feature PGD is smoothness, shown in its per-task tables, not here).
        robust_of = {t: next(iter(part.loc[part["task"] == t, "robust_metric"].dropna()), None) for t in tasks}
        kinds = [(kind, metric, prefix) for kind, metric, prefix in (("clean", "clean_acc", "gain"), ("robust", "robust", "robust"))
                 if part[f"{prefix}_mean"].notna().any() or (kind == "robust" and any(robust_of.values()))]
        base = part[part["method"] == BASELINE]
        entries: dict[str, dict[tuple[str, str], Entry]] = {}
        ratios: dict[str, list[float]] = {}
        for _, line in part[part["method"] != BASELINE].iterrows():
            for kind, _, prefix in kinds:
                if not pd.isna(line[f"{prefix}_mean"]):
                    entries.setdefault(line["label"], {})[(kind, line["task"])] = _entry(line, prefix)
            ratios.setdefault(line["label"], []).extend(line["cost_ratios"])
        costs = {label: (float(pd.Series(r).median()) if r else math.nan) for label, r in ratios.items()}

        def of(kind: str) -> dict[str, dict[str, Entry]]:
            return {label: {t: e for (k, t), e in found.items() if k == kind} for label, found in entries.items()}

        def rank(kind: str) -> list[tuple[str, dict[str, Entry]]]:
            found = [(label, e) for label, e in of(kind).items() if e]
            # Like with like: the methods measured on every task of the block first, then those on fewer; within
            # each, by mean gain. A method measured on one task never outranks one measured on all by that alone.
            return sorted(found, key=lambda item: (-len(item[1]), -sum(e.mean for e in item[1].values()) / len(item[1]),
                                                   item[0]))

        columns = [(task, kind) for task in tasks for kind, _, _ in kinds if kind == "clean" or robust_of[task]]
        headers, levels = ["method", "extra data"], [f"`{BASELINE}` (accuracy)", "–"]
        for task, kind in columns:
            row = base[base["task"] == task]
            headers.append(f"{task} clean" if kind == "clean" else f"{task} {threat_of(task, robust_of[task], attacks[task])}")
            levels.append(_level(row.iloc[0], "clean_acc" if kind == "clean" else robust_of[task]) if len(row) else "–")
        body = [levels + ["1.0x"]]
        for label, _ in rank("clean") + [item for item in rank("robust") if item[0] not in dict(rank("clean"))]:
            found = entries[label]
            cells = [_text(found.get((kind, task))) for task, kind in columns]
            cost = "–" if math.isnan(costs.get(label, math.nan)) else f"{costs[label]:.1f}x"
            body.append([label, POOL_DATA if POOL in label else "–"] + cells + [cost])
        sized = ", ".join(_names(tasks, sizes))
        threats = sorted({threat_of(t, robust_of[t], "") for t in tasks if robust_of[t]})
        title = f"{name} ({sized}): clean accuracy" + (f", and accuracy under {' and '.join(threats)}" if threats else "")
        answer = " ".join(_answer(kind, rank(kind), tasks, costs, " and ".join(threats)) for kind, _, _ in kinds
                          if kind == "clean" or threats)
        blocks.append(Block(title, headers + ["cost"], body, answer))
    return blocks


def headline_markdown(rows: pd.DataFrame, profile: str | None = None) -> str:
    """The headline (markdown): its legend, then each block's table and answer.

    Raises:
        UsageError: no ok row of that profile, or no method with a gain over `none`.
    """
    blocks = headline_blocks(rows, profile)
    legend = (f"One block per modality, each at one training-set size (the smaller of the default grid's two), ranked "
              f"by mean clean gain within the block (the methods measured on every task of the block first); each task's "
              f"robust column is its own threat model on inputs a person could produce: on images, each example's worst case "
              f"over FGSM, PGD-10 (its strongest iterate) and AutoAttack's APGD-CE and APGD-T at an L∞ radius in pixel "
              f"units (PGD alone where a task's rows predate AutoAttack: the column says which), word substitutions on the sentence "
              f"for text (PWWS, at most a fifth of the words), PGD on the "
              f"waveform for audio (its peak 40 dB below the recording's); the text and audio tasks' feature-space PGD, "
              f"which measures smoothness, is left to their per-task tables. The `{BASELINE}` row gives absolute "
              f"accuracy (mean ±95% interval over seeds); every other row its gain over `{BASELINE}` in points on the "
              f"same seeds, ±the 95% interval's half-width; `*`: {RULE} (paired t-tests, corrected over every clean "
              f"and robust test of the leaderboard: the same stars as there); {MIXED_POLICY}: its seed pairs ran "
              f"under different execution policies, so untested; `–`: not measured. Extra data, as RobustBench marks "
              f"it: `{POOL_DATA}` is a `(pool)` generator, fitted on the task's whole labelled train split (5 to 100 "
              f"times the cell's labels), which a data-scarce user does not have. Cost: median over cells of "
              f"total seconds over `{BASELINE}`'s, a cached generator's fit counted in every cell that used it.")
    parts = [legend, ""]
    for block in blocks:
        parts += [f"**{block.title}**", "", tabulate(block.rows, headers=block.headers, tablefmt="github",
                                                     disable_numparse=True), "", block.answer, ""]
    return "\n".join(parts)


def readme_block(text: str) -> str:
    """The headline text between the markers of a README.

    Raises:
        UsageError: the markers are missing or out of order.
    """
    match = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.S)
    if match is None:
        raise UsageError(f"no headline block in the README: add the lines {START} and {END}")
    return match.group(1)


def read_readme(path: str | Path) -> str:
    """The README's text, checked to hold a headline block.

    Raises:
        UsageError: the file is unreadable or has no headline block.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    readme_block(text)
    return text


def write_readme(path: str | Path, headline: str) -> Path:
    """Replace the headline block of the README at `path` with `headline`.

    Raises:
        UsageError: the file is unreadable or unwritable, or has no headline block.
    """
    path = Path(path)
    text = read_readme(path)
    old = readme_block(text)
    try:
        path.write_text(text.replace(f"{START}\n{old}{END}", f"{START}\n{headline}{END}", 1), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path
