"""Train the escalation model (`execution/escalation_model.json.gz`) from the tuning corpora.

    python scripts/train_escalation_model.py            # train on every tuning corpus, write
    python scripts/train_escalation_model.py --folds    # rolling figures first: each corpus
                                                        # judged by a model of the earlier ones

Only the tuning corpora are read (`tests.judgement.ESCALATION` without `tests/data/heldout/`, and
the two first corpora); a held-out corpus is never trained on. Training needs scikit-learn
(a dev extra); the product only scores, in plain Python (`execution/escalation_model.py`), and
this script checks that its scores match scikit-learn's before writing the model.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from execution.escalation import normalize_message  # noqa: E402
from execution.escalation_model import MODEL_FILE, parse_model, prepare  # noqa: E402
from tests.judgement import AGENT, ESCALATION  # noqa: E402

OLD = {  # the first two corpora, in their own shape (trigger -> messages)
    "first": ROOT / "tests/data/escalation_corpus.yaml",
    "second": ROOT / "tests/data/escalation_holdout.yaml",
}
C = 10.0
"""Inverse regularisation: chosen by the rolling figures (3, 10 and 30 tried; 10 best)."""
WORD_FEATURES = 10_000
"""Word pieces kept (those with the largest weights); all character pieces are kept."""
CHECKS = 40
"""Messages stored with scikit-learn's figures, for the test that holds the scorer to them."""


def corpora() -> dict[str, list[tuple[str, str]]]:
    """Every tuning corpus as (message, label) pairs, by name."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name, path in OLD.items():
        data = yaml.safe_load(path.read_text("utf-8"))
        pairs = [(str(t), label) for label, texts in data.items() for t in texts]
        out[name] = [(normalize_message(t), label) for t, label in pairs]
    for name, path in ESCALATION.items():
        if "heldout" in path.parts:
            continue
        data = yaml.safe_load(path.read_text("utf-8"))
        out[name] = [(normalize_message(m["text"]), m["label"]) for m in data["messages"]]
    return out


def digests() -> dict[str, str]:
    paths = {**OLD, **{n: p for n, p in ESCALATION.items() if "heldout" not in p.parts}}
    return {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in paths.items()}


def pipeline(word_vocabulary: list[str] | None = None) -> Pipeline:
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, vocabulary=word_vocabulary)
    union = FeatureUnion([("char_wb", chars), ("word", words)])
    classifier = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    return Pipeline([("features", union), ("model", classifier)])


def fit(texts: list[str], labels: list[str]) -> Pipeline:
    model = pipeline().fit(texts, labels)
    union = model.named_steps["features"]
    chars = union.transformer_list[0][1]
    words = union.transformer_list[1][1]
    weight = abs(model.named_steps["model"].coef_).max(axis=0)
    offset = len(chars.vocabulary_)
    ranked = sorted(words.vocabulary_, key=lambda w: -weight[offset + words.vocabulary_[w]])
    return pipeline(sorted(ranked[:WORD_FEATURES])).fit(texts, labels)


def export(model: Pipeline, checks: list[str], trained_on: dict[str, str]) -> dict[str, object]:
    union = model.named_steps["features"]
    classifier = model.named_steps["model"]
    parts = []
    offset = 0
    for kind, vectorizer in union.transformer_list:
        features = []
        for piece, column in sorted(vectorizer.vocabulary_.items()):
            weights = [round(float(w), 4) for w in classifier.coef_[:, offset + column]]
            features.append([piece, round(float(vectorizer.idf_[column]), 4), weights])
        parts.append({"kind": kind, "ngrams": list(vectorizer.ngram_range), "features": features})
        offset += len(vectorizer.vocabulary_)
    classes = [str(c) for c in classifier.classes_]
    none = classes.index("none")
    expected = [round(1.0 - float(p[none]), 6) for p in model.predict_proba(checks)]
    return {
        "classes": classes,
        "intercepts": [round(float(b), 4) for b in classifier.intercept_],
        "parts": parts,
        "meta": {
            "trained_on": trained_on,
            "agent": AGENT,
            "C": C,
            "checks": [[t, e] for t, e in zip(checks, expected, strict=True)],
        },
    }


def folds(data: dict[str, list[tuple[str, str]]]) -> None:
    """Each corpus from tuning-8 on, judged by a model of the corpora written before it."""
    names = list(data)
    for k in range(names.index("tuning-8"), len(names)):
        train = [pair for name in names[:k] for pair in data[name]]
        test = data[names[k]]
        model = fit([prepare(t, AGENT) for t, _ in train], [label for _, label in train])
        none = list(model.classes_).index("none")
        chances = model.predict_proba([prepare(t, AGENT) for t, _ in test])[:, none]
        said = [1.0 - p > 0.5 for p in chances]
        real = [label != "none" for _, label in test]
        hits = sum(s and r for s, r in zip(said, real, strict=True))
        print(
            f"{names[k]:10} model alone: precision {hits / max(1, sum(said)):.3f}"
            f" recall {hits / max(1, sum(real)):.3f} ({len(test)} messages)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", action="store_true", help="print the rolling figures first")
    parser.add_argument("--out", type=Path, default=ROOT / "execution" / MODEL_FILE)
    args = parser.parse_args()
    data = corpora()
    if args.folds:
        folds(data)
    pairs = [pair for corpus in data.values() for pair in corpus]
    texts = [prepare(t, AGENT) for t, _ in pairs]
    model = fit(texts, [label for _, label in pairs])
    checks = texts[:: max(1, len(texts) // CHECKS)][:CHECKS]
    exported = export(model, checks, digests())
    scorer = parse_model(exported)  # the plain-Python scorer must agree with scikit-learn
    none = list(model.classes_).index("none")
    expected = 1.0 - model.predict_proba(texts)[:, none]
    worst = max(abs(scorer.judge(t).escalate - e) for t, e in zip(texts, expected, strict=True))
    if worst > 1e-3:
        raise SystemExit(f"the plain scorer differs from scikit-learn by {worst:.5f}")
    blob = json.dumps(exported, ensure_ascii=False, separators=(",", ":")).encode()
    args.out.write_bytes(gzip.compress(blob, mtime=0))
    sizes = ", ".join(f"{p['kind']} {len(p['features'])}" for p in exported["parts"])  # type: ignore[attr-defined]
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB; {len(pairs)} messages;")
    print(f"  features: {sizes}; largest difference from scikit-learn {worst:.6f})")


if __name__ == "__main__":
    main()
