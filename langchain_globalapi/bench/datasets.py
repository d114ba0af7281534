"""Load RouteLLM's labelled eval data (MMLU, GSM8K) and the fixed train / held-out splits.

The files are not shipped with the package (see ``../shared/data/README.md`` in the project
workspace: RouteLLM, Apache-2.0). Every loader takes the data folder explicitly and drops the
prompts listed in ``contaminated_prompts.jsonl``. The splits are fixed here so the training
script, the benchmarks and the tests agree on what a scorer never saw:

- MMLU is split **by subject**: :data:`HELD_OUT_MMLU_SUBJECTS` (9 of the 29 shared subjects,
  spanning STEM, humanities, social sciences and other) are only ever evaluated on;
- GSM8K is split **by row**: rows with an odd index in ``gsm8k_responses.csv`` are held out.

Some MMLU subjects' recorded labels look like generation artifacts (RouteLLM's script appears
to score the first character of a one-token reply): :func:`suspect_subjects` flags them, so
training can leave them out and reports can show results with and without them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: Where the project workspace keeps the data: ``shared/data`` beside the repository checkout.
#: The default of the training scripts, the benchmarks and the tests (it exists only in an
#: editable checkout inside the workspace; elsewhere pass ``data_dir`` explicitly).
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"

WEAK_MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG_MODEL = "gpt-4-1106-preview"

HELD_OUT_MMLU_SUBJECTS: tuple[str, ...] = (
    "abstract_algebra",
    "college_physics",
    "electrical_engineering",
    "formal_logic",
    "high_school_macroeconomics",
    "high_school_us_history",
    "nutrition",
    "professional_psychology",
    "world_religions",
)


@dataclass(frozen=True)
class LabelledPrompt:
    """One prompt with the weak and strong model's correctness on it.

    Example:
        >>> LabelledPrompt("2+2?", weak=1.0, strong=1.0, group="gsm8k").gain
        0.0
    """

    prompt: str
    weak: float
    strong: float
    group: str

    @property
    def gain(self) -> float:
        """Quality the strong model adds on this prompt (-1, 0 or 1 for correctness)."""
        return self.strong - self.weak


def _contaminated(folder: Path) -> set[str]:
    path = folder / "contaminated_prompts.jsonl"
    if not path.exists():
        return set()
    with path.open(encoding="utf-8") as fh:
        return {json.loads(line)["eval_prompt"].strip() for line in fh if line.strip()}


def _read_csv(path: Path, group: str, drop: set[str]) -> list[LabelledPrompt]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            LabelledPrompt(
                prompt=row["prompt"],
                weak=float(row[WEAK_MODEL] == "True"),
                strong=float(row[STRONG_MODEL] == "True"),
                group=group,
            )
            for row in csv.DictReader(fh)
            if row["prompt"].strip() not in drop
        ]


def mmlu_subjects(data_dir: Path) -> list[str]:
    """Names of the MMLU subjects present in ``data_dir`` (sorted)."""
    folder = Path(data_dir) / "routellm" / "mmlu"
    return sorted(p.stem.removeprefix("mmlu_") for p in folder.glob("mmlu_*.csv"))


def load_mmlu(data_dir: Path, subjects: Iterable[str] | None = None) -> list[LabelledPrompt]:
    """Load decontaminated MMLU prompts; ``group`` is ``"mmlu/<subject>"``.

    Args:
        data_dir: The shared data folder (holding ``routellm/``).
        subjects: Subjects to load; all present ones when ``None``.
    """
    folder = Path(data_dir) / "routellm" / "mmlu"
    drop = _contaminated(folder)
    chosen = mmlu_subjects(data_dir) if subjects is None else list(subjects)
    rows: list[LabelledPrompt] = []
    for subject in chosen:
        rows += _read_csv(folder / f"mmlu_{subject}.csv", f"mmlu/{subject}", drop)
    return rows


#: Chance accuracy on a four-option multiple-choice question.
MMLU_CHANCE = 0.25
#: A GPT-4-class strong model recorded below this accuracy on an MMLU subject is suspect: published
#: per-subject accuracies of GPT-4 are well above it, so such a record points at the scoring script.
STRONG_MODEL_FLOOR = 0.5


def suspect_subjects(
    rows: Iterable[LabelledPrompt],
    *,
    chance: float = MMLU_CHANCE,
    strong_floor: float = STRONG_MODEL_FLOOR,
) -> dict[str, str]:
    """MMLU subjects whose recorded accuracies look like artifacts, with the reason for each.

    A subject is flagged when either model scores below ``chance`` (no real model does on
    four options) or the strong model scores below ``strong_floor``.

    Example:
        >>> rows = [LabelledPrompt("q", weak=0.0, strong=0.0, group="mmlu/x")] * 3
        >>> suspect_subjects(rows + [LabelledPrompt("q", 1.0, 1.0, "mmlu/y")])
        {'mmlu/x': 'weak 0.0% below chance 25%; strong 0.0% below chance 25%'}
    """
    by_group: dict[str, list[LabelledPrompt]] = {}
    for row in rows:
        if row.group.startswith("mmlu/"):
            by_group.setdefault(row.group, []).append(row)
    flagged: dict[str, str] = {}
    for group, members in sorted(by_group.items()):
        reasons = []
        for name in ("weak", "strong"):
            accuracy = float(np.mean([getattr(r, name) for r in members]))
            if accuracy < chance:
                reasons.append(f"{name} {accuracy:.1%} below chance {chance:.0%}")
            elif name == "strong" and accuracy < strong_floor:
                reasons.append(f"strong {accuracy:.1%} below {strong_floor:.0%}")
        if reasons:
            flagged[group] = "; ".join(reasons)
    return flagged


@dataclass(frozen=True)
class AnsweredPrompt(LabelledPrompt):
    """A labelled prompt with both models' recorded answers (for checking the cheap answer).

    Example:
        >>> AnsweredPrompt("2+2?", 1.0, 1.0, "gsm8k/0", weak_answer="4", strong_answer="4").gain
        0.0
    """

    weak_answer: str = ""
    strong_answer: str = ""


def load_gsm8k_answers(data_dir: Path) -> list[AnsweredPrompt]:
    """Decontaminated GSM8K prompts with both models' recorded answers, in file order.

    ``group`` is ``"gsm8k/<row>"`` (the row in ``gsm8k_responses.csv``, so :func:`is_held_out`
    applies), as in :func:`load_gsm8k`.
    """
    folder = Path(data_dir) / "routellm" / "gsm8k"
    drop = _contaminated(folder)
    with (folder / "gsm8k_responses.csv").open(encoding="utf-8", newline="") as fh:
        return [
            AnsweredPrompt(
                prompt=row["prompt"],
                weak=float(row[WEAK_MODEL] == "True"),
                strong=float(row[STRONG_MODEL] == "True"),
                group=f"gsm8k/{i}",
                weak_answer=row[f"{WEAK_MODEL}_response"],
                strong_answer=row[f"{STRONG_MODEL}_response"],
            )
            for i, row in enumerate(csv.DictReader(fh))
            if row["prompt"].strip() not in drop
        ]


def load_gsm8k(data_dir: Path) -> list[LabelledPrompt]:
    """Load the decontaminated GSM8K prompts in file order; ``group`` is ``"gsm8k/<row>"``."""
    return [
        LabelledPrompt(r.prompt, r.weak, r.strong, r.group) for r in load_gsm8k_answers(data_dir)
    ]


def is_held_out(row: LabelledPrompt) -> bool:
    """Whether a row belongs to the evaluation split (held-out subject or odd GSM8K row)."""
    kind, _, name = row.group.partition("/")
    if kind == "mmlu":
        return name in HELD_OUT_MMLU_SUBJECTS
    if kind == "gsm8k":
        return int(name) % 2 == 1
    return False


def cv_folds(rows: Sequence[LabelledPrompt], n_folds: int = 5) -> npt.NDArray[np.int64]:
    """Cross-validation fold of each training row: whole MMLU subjects, GSM8K by row.

    The folds of ``scripts/train_scorer.py`` (model selection) and of
    ``scripts/encoder_upper_bound.py``: MMLU subjects, in name order, are dealt to the folds in
    turn, so a fold never sees its own subjects in training; GSM8K row ``i`` goes to fold
    ``i // 2 % n_folds`` (training rows are the even ones).

    Example:
        >>> rows = [LabelledPrompt("q", 1.0, 1.0, g) for g in ("mmlu/b", "mmlu/a", "gsm8k/2")]
        >>> cv_folds(rows, n_folds=2).tolist()
        [1, 0, 1]
    """
    subjects = sorted({r.group for r in rows if r.group.startswith("mmlu/")})
    return np.asarray(
        [
            subjects.index(r.group) % n_folds
            if r.group.startswith("mmlu/")
            else int(r.group.split("/")[1]) // 2 % n_folds
            for r in rows
        ],
        dtype=np.int64,
    )


def load_mt_bench(data_dir: Path) -> list[LabelledPrompt]:
    """MT-Bench first turns with GPT-4-judge scores (1-10, scaled to 0-1) for both models.

    Never used for training: an out-of-domain check on realistic chat prompts (n = 72 after
    decontamination, so intervals are wide). ``group`` is ``"mt_bench/<category>"``.
    """
    folder = Path(data_dir) / "routellm" / "mt_bench"
    with (folder / "contaminated_prompts.jsonl").open(encoding="utf-8") as fh:
        drop = {json.loads(line)["eval_prompt"].strip() for line in fh if line.strip()}
    scores: dict[tuple[int, str], float] = {}
    with (folder / "judgements.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                # The first judgement of a question is its first turn's score.
                scores.setdefault((record["question_id"], record["model"]), record["score"] / 10)
    rows = []
    with (folder / "question.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            question = json.loads(line)
            prompt, qid = question["turns"][0], question["question_id"]
            if prompt.strip() in drop:
                continue
            weak, strong = scores.get((qid, WEAK_MODEL)), scores.get((qid, STRONG_MODEL))
            if weak is not None and strong is not None:
                rows.append(
                    LabelledPrompt(prompt, weak, strong, f"mt_bench/{question['category']}")
                )
    return rows


_ANSWER_START = "[The Start of Assistant's Answer]\n"
_ANSWER_END = "\n[The End of Assistant's Answer]"


def load_mt_bench_answers(data_dir: Path) -> list[AnsweredPrompt]:
    """MT-Bench first turns with both models' first-turn answers and GPT-4-judge scores (0-1).

    Read from the single-answer judgements of turn 1 (``turn == 1``; the answer is quoted in
    the judge's prompt). Decontaminated like :func:`load_mt_bench`; ``group`` is
    ``"mt_bench/<category>"``.
    """
    folder = Path(data_dir) / "routellm" / "mt_bench"
    drop = _contaminated(folder)
    judged: dict[tuple[int, str], tuple[float, str]] = {}
    with (folder / "judgements.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line) if line.strip() else {}
            prompt = record.get("user_prompt", "")
            if record.get("turn") != 1 or _ANSWER_START not in prompt:
                continue
            answer = prompt.split(_ANSWER_START, 1)[1].rsplit(_ANSWER_END, 1)[0]
            judged[(record["question_id"], record["model"])] = (record["score"] / 10, answer)
    rows = []
    with (folder / "question.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            question = json.loads(line) if line.strip() else None
            if question is None or question["turns"][0].strip() in drop:
                continue
            weak = judged.get((question["question_id"], WEAK_MODEL))
            strong = judged.get((question["question_id"], STRONG_MODEL))
            if weak is not None and strong is not None:
                rows.append(
                    AnsweredPrompt(
                        question["turns"][0],
                        weak[0],
                        strong[0],
                        f"mt_bench/{question['category']}",
                        weak_answer=weak[1],
                        strong_answer=strong[1],
                    )
                )
    return rows


def load_unlabelled_prompts(data_dir: Path) -> list[str]:
    """First-turn prompts of MT-Bench and Arena-Hard-Auto (for calibration and realism only)."""
    data_dir = Path(data_dir)
    prompts: list[str] = []
    mt_bench = data_dir / "routellm" / "mt_bench" / "question.jsonl"
    arena = data_dir / "arena-hard" / "question.jsonl"
    if mt_bench.exists():
        with mt_bench.open(encoding="utf-8") as fh:
            prompts += [json.loads(line)["turns"][0] for line in fh if line.strip()]
    if arena.exists():
        with arena.open(encoding="utf-8") as fh:
            prompts += [json.loads(line)["turns"][0]["content"] for line in fh if line.strip()]
    return prompts


def as_arrays(
    rows: Iterable[LabelledPrompt],
) -> tuple[list[str], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Split rows into ``(prompts, weak quality, strong quality)`` for the metrics."""
    rows = list(rows)
    weak = np.asarray([r.weak for r in rows], dtype=np.float64)
    strong = np.asarray([r.strong for r in rows], dtype=np.float64)
    return [r.prompt for r in rows], weak, strong
