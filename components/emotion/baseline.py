"""TF-IDF + logistic-regression baseline, trained on the same split as the fine-tuned model."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from components.emotion.data import Example


def train_baseline(train_set: list[Example], seed: int = 42) -> Pipeline:
    """Word 1-2-grams + char 2-5-grams, class-balanced logistic regression."""
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
    ])
    model = Pipeline([
        ("features", features),
        ("classifier", LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=seed)),
    ])
    model.fit([e.text for e in train_set], [e.label for e in train_set])
    return model
