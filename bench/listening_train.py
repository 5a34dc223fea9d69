"""Train the listening model (handlers/listening/model.py) and write handlers/listening/weights.json.

    python -m bench.listening_train            # train, choose the thresholds, write the weights
    python -m bench.listening_train --check    # retrain and compare with the shipped weights
    python -m bench.listening_train --explain "又坏了"   # what the shipped model makes of a message

Multinomial logistic regression ("other" the reference class) over the model's inputs, trained with
AdaGrad in plain Python: the same data gives the same weights, bit for bit, on any machine, which is what
`--check` (and tests/test_listening_model.py) rely on. It learns from bench/listening_sets/train.jsonl
(written for it) and from the labelled set of the tests (tests/labelled/listening*.jsonl), whose other
author words things differently. The thresholds come from five-fold cross-validation on the training
set (the labelled set always among the folds learnt from): for complaints, then for questions, the pair
(on its own, where the rules agree) with the most out-of-fold recall whose precision reaches
`PRECISION`. The held-out sets (bench/listening_sets/heldout) are never read here.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from handlers.feedback import segmenter
from handlers.listening.matching import fold, is_complaint, is_question, lexicon
from handlers.listening.model import CLASSES, Model, decide, explain, model, read

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "bench" / "listening_sets" / "train.jsonl"
LABELLED = ROOT / "tests" / "labelled"
WEIGHTS = ROOT / "handlers" / "listening" / "weights.json"
LABELS = {"other": 0, "complaint": 1, "question": 2}
SEED = 19
EPOCHS = 12
RATE = 0.5  # AdaGrad's step
L2 = 1e-4  # per update, on the weights an example touches
MIN_COUNT = 2  # an n-gram seen once in training is noise, and weight to ship
FOLDS = 5
PRECISION = {"complaint": 0.85, "question": 0.9}  # out-of-fold, with room under the targets 0.8, 0.85
DIGITS = 4  # the weights are rounded: a smaller file, and the same file on any machine
LONGEST = 300  # as matching._LONGEST: the model reads what the rules read

Example = tuple[dict[str, float], int]
Rules = tuple[bool, bool, bool]  # the rules' complaint and question, and whether the message is short
GRID = [step / 100 for step in range(5, 100)]


def load(*paths: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in paths or (TRAIN,):
        with path.open(encoding="utf-8") as lines:
            rows += [json.loads(line) for line in lines if line.strip()]
    return rows


def labelled() -> list[dict[str, str]]:
    return load(*sorted(LABELLED.glob("listening*.jsonl")))


def featurize(text: str, words: Mapping[str, int] | None) -> tuple[dict[str, float], Rules]:
    """The model's inputs and the rules' verdicts, exactly as `matching.classify` has them at run time."""
    lex = lexicon()
    folded = fold(text[: LONGEST * 2])[:LONGEST]
    reading = read(folded)
    return reading.found, (is_complaint(folded, lex, words), is_question(folded, lex), reading.short)


def train(examples: Sequence[Example], vocabulary: set[str]) -> Model:
    weights: dict[str, list[float]] = {}
    squares: dict[str, list[float]] = {}
    bias, bias_squares = [0.0, 0.0], [1e-8, 1e-8]
    order = list(range(len(examples)))
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            found, label = examples[i]
            kept = [(n, v) for n, v in found.items() if n in vocabulary]
            scores = list(bias)
            for n, v in kept:
                w = weights.get(n)
                if w is not None:
                    scores[0] += w[0] * v
                    scores[1] += w[1] * v
            top = max(scores[0], scores[1], 0.0)
            exps = [math.exp(scores[0] - top), math.exp(scores[1] - top)]
            total = exps[0] + exps[1] + math.exp(-top)
            errors = [exps[0] / total - (label == 1), exps[1] / total - (label == 2)]
            for k in (0, 1):
                bias_squares[k] += errors[k] ** 2
                bias[k] -= RATE * errors[k] / math.sqrt(bias_squares[k])
            for n, v in kept:
                w = weights.setdefault(n, [0.0, 0.0])
                g2 = squares.setdefault(n, [1e-8, 1e-8])
                for k in (0, 1):
                    grad = errors[k] * v + L2 * w[k]
                    g2[k] += grad * grad
                    w[k] -= RATE * grad / math.sqrt(g2[k])
    return Model(
        weights={n: tuple(w) for n, w in weights.items()}, bias=tuple(bias), thresholds=((0.5, 0.5), (0.5, 0.5))
    )


def vocabulary_of(examples: Sequence[Example]) -> set[str]:
    counts = Counter(n for found, _ in examples for n in found)
    return {n for n, c in counts.items() if c >= MIN_COUNT}


def out_of_fold(examples: Sequence[Example], always: Sequence[Example]) -> list[tuple[float, float]]:
    """Each example's probabilities from a model trained without its fold (and with `always`)."""
    probabilities: list[tuple[float, float]] = [(0.0, 0.0)] * len(examples)
    for fold_no in range(FOLDS):
        kept = [e for i, e in enumerate(examples) if i % FOLDS != fold_no] + list(always)
        model = train(kept, vocabulary_of(kept))
        for i in range(fold_no, len(examples), FOLDS):
            probabilities[i] = model.probabilities(examples[i][0])
    return probabilities


def precision_recall(pairs: Sequence[tuple[bool, bool]]) -> tuple[float, float]:
    """(said, meant) pairs."""
    right = sum(1 for said, meant in pairs if said and meant)
    said = sum(1 for s, _ in pairs if s)
    meant = sum(1 for _, m in pairs if m)
    return (right / said if said else 0.0, right / meant if meant else 0.0)


def said(p: float, pair: Sequence[float], agreed: bool, short: bool) -> bool:
    """As `model.decide` says it for one class."""
    return (p >= pair[0] and not short) or (p >= pair[1] and agreed)


def recall_at(
    probabilities: Sequence[float], verdicts: Sequence[tuple[bool, bool]], meant: Sequence[bool], pair: Sequence[float]
) -> tuple[float, float]:
    pairs = [(said(p, pair, *v), m) for p, v, m in zip(probabilities, verdicts, meant, strict=True)]
    return precision_recall(pairs)


def best_pair(
    probabilities: Sequence[float], verdicts: Sequence[tuple[bool, bool]], meant: Sequence[bool], floor: float
) -> tuple[float, float]:
    """The (on its own, where the rules agree) thresholds with the most recall at `floor` precision;
    of equals, the highest (the most careful). `verdicts`: (the rules agree, the message is short)."""
    best: tuple[float, float, float] = (-1.0, 0.99, 0.99)
    for alone in GRID:
        for agreed in (a for a in GRID if a <= alone):
            precision, recall = recall_at(probabilities, verdicts, meant, (alone, agreed))
            if precision >= floor and (recall, alone, agreed) > best:
                best = (recall, alone, agreed)
    return best[1], best[2]


def thresholds(
    examples: Sequence[Example], rules: Sequence[Rules], probabilities: Sequence[tuple[float, float]]
) -> tuple[tuple[float, float], tuple[float, float]]:
    labels = [label for _, label in examples]
    complaints = [(r[0], r[2]) for r in rules]
    complaint = best_pair([p[0] for p in probabilities], complaints, [y == 1 for y in labels], PRECISION["complaint"])
    # a question is what is left once the complaints are taken
    left = [
        (p[1], (r[1], r[2]), y == 2)
        for p, r, y in zip(probabilities, rules, labels, strict=True)
        if not said(p[0], complaint, r[0], r[2])
    ]
    question = best_pair(
        [p for p, _, _ in left], [v for _, v, _ in left], [m for _, _, m in left], PRECISION["question"]
    )
    return complaint, question


def shipped(model: Model, chosen: Sequence[Sequence[float]]) -> dict[str, object]:
    weights = {
        n: [round(w[0], DIGITS), round(w[1], DIGITS)]
        for n, w in sorted(model.weights.items())
        if round(w[0], DIGITS) or round(w[1], DIGITS)
    }
    return {
        "classes": list(CLASSES),
        "trained_on": f"{TRAIN.relative_to(ROOT)}",
        "bias": [round(b, DIGITS) for b in model.bias],
        "thresholds": [list(pair) for pair in chosen],
        "weights": weights,
    }


def agreeing(rules: Rules) -> Callable[[str], bool]:
    """The rules' verdicts as `decide` asks for them."""
    return lambda kind: rules[CLASSES.index(kind)]


def examples_of(
    rows: Sequence[Mapping[str, str]], words: Mapping[str, int] | None
) -> tuple[list[Example], list[Rules]]:
    featurized = [(featurize(row["text"], words), LABELS[row["label"]]) for row in rows]
    return [(found, label) for (found, _), label in featurized], [verdicts for (_, verdicts), _ in featurized]


def final(examples: Sequence[Example], always: Sequence[Example]) -> Model:
    """The shipped model: trained on everything."""
    return train([*examples, *always], vocabulary_of([*examples, *always]))


def build() -> tuple[dict[str, object], list[str]]:
    """The weights file's content, and a few lines on how it was chosen."""
    words = segmenter.words()
    examples, rules = examples_of(load(), words)
    always, _ = examples_of(labelled(), words)
    probabilities = out_of_fold(examples, always)
    chosen = thresholds(examples, rules, probabilities)
    report = [
        f"{len(examples)} training messages and {len(always)} labelled ones; thresholds (alone, with the rules):"
        f" complaint {chosen[0]}, question {chosen[1]}"
    ]
    decided = [decide(p, chosen, agreeing(r), r[2]) for p, r in zip(probabilities, rules, strict=True)]
    for k, name in ((1, "complaint"), (2, "question")):
        p, r = precision_recall([(d == name, y == k) for d, (_, y) in zip(decided, examples, strict=True)])
        report.append(f"out-of-fold {name}s: precision {p:.2f}, recall {r:.2f}")
    return shipped(final(examples, always), chosen), report


def explained(text: str) -> list[str]:
    found, rules = featurize(text, segmenter.words())
    shipped_model = model()
    complaint, question = shipped_model.probabilities(found)
    lines = [f"{text}: complaint {complaint:.2f}, question {question:.2f}; rules {rules[:2]}, short {rules[2]}"]
    lines += [f"  {name!r}: complaint {c:+.2f}, question {q:+.2f}" for name, c, q in explain(shipped_model, found)]
    return lines


def dumps(content: Mapping[str, object]) -> str:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped weights, write nothing")
    parser.add_argument("--explain", nargs="+", metavar="TEXT", help="the shipped model's reading of TEXT")
    args = parser.parse_args(argv)
    if args.explain:
        for text in args.explain:
            print("\n".join(explained(text)))
        return 0
    content, report = build()
    print("\n".join(report))
    if args.check:
        same = WEIGHTS.read_text("utf-8") == dumps(content)
        print("the shipped weights are the script's output" if same else "the shipped weights DIFFER: retrain")
        return 0 if same else 1
    WEIGHTS.write_text(dumps(content), "utf-8")
    print(f"wrote {WEIGHTS.relative_to(ROOT)}: {len(content['weights'])} inputs")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
