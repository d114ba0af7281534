"""A small learned complexity scorer: bag-of-words plus cue features into logistic regression.

Run time is numpy only: the weights are a vocabulary (words and word pairs), one weight per entry,
weights for the standardised :func:`~langchain_globalapi.routing.scorers.extract_signals` cues and
a bias. ``LearnedScorer.load_default()`` loads the weights shipped in ``_weights/default.npz``,
trained by ``scripts/train_scorer.py`` on RouteLLM's labelled MMLU and GSM8K outcomes
(Mixtral-8x7B vs GPT-4; lm-sys/RouteLLM, Apache-2.0), with MMLU split by subject.
``LearnedScorer.fit`` trains the same model on your own labels, also in numpy.
"""

from __future__ import annotations

import itertools
import json
import math
import zipfile
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.language_models import LanguageModelInput

from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing.scorers import (
    ComplexityScorer,
    Conversation,
    Tools,
    extract_signals,
    scan_window,
    tokenize,
)

FloatArray = npt.NDArray[np.float64]

#: Cue features the model sees (``log1p`` of the counts from ``extract_signals``). A weights
#: format, not a copy of ``SIGNAL_NAMES``: ``save`` stores this list, ``load`` refuses a file
#: whose list differs, and the dense weights follow this order, so it is spelled out and
#: changing it means retraining ``_weights/default.npz``.
DENSE_FEATURES: tuple[str, ...] = (
    "log_chars",
    "code",
    "math",
    "reasoning",
    "multi_step",
    "structured_output",
    "negation",
    "numbers",
    "questions",
    "options",
    "option_chars",
    "uppercase_negation",
    "user_turns",
    "system_chars",
    "media",
    "tools",
    "tool_calls_in_history",
)
_FORMAT_VERSION = 1
#: Standardised cue features are clipped to this many training standard deviations, so an input
#: far outside the training range (a long system prompt, many turns, a huge paste) shifts the
#: logit by at most ``DENSE_CLIP * |weight|`` instead of saturating the score at 0 or 1.
DENSE_CLIP = 5.0


def _terms(tokens: list[str]) -> list[str]:
    """Unigrams and adjacent pairs (``"a b"``) of a token list."""
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def _dense(signals: dict[str, float]) -> FloatArray:
    values = np.asarray([max(signals[name], 0.0) for name in DENSE_FEATURES], dtype=np.float64)
    return np.asarray(np.log1p(values), dtype=np.float64)


class WordEmbedding:
    """A static word-vector table; a text's vector is the unit-length mean of its known words.

    Distilled at training time from a sentence encoder (``scripts/distill_embeddings.py``);
    at run time it is a dict lookup and a numpy mean.

    Example:
        >>> table = WordEmbedding(["cat", "dog"], [[1.0, 0.0], [0.0, 1.0]])
        >>> table.mean(["cat", "dog", "unknown"]).round(3).tolist()
        [0.707, 0.707]
    """

    def __init__(self, words: Sequence[str], vectors: npt.ArrayLike) -> None:
        self.words = list(words)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.index = {word: i for i, word in enumerate(self.words)}
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.words):
            msg = "vectors must be a (words x dims) matrix with one row per word"
            raise ValueError(msg)

    @property
    def dims(self) -> int:
        """Vector size."""
        return int(self.vectors.shape[1])

    def mean(self, tokens: Sequence[str]) -> FloatArray:
        """Unit-length mean vector of the distinct known tokens (zeros if none is known)."""
        ids = [i for i in map(self.index.get, set(tokens)) if i is not None]
        if not ids:
            return np.zeros(self.dims)
        vector = self.vectors[ids].mean(axis=0, dtype=np.float64)
        return np.asarray(vector / (np.linalg.norm(vector) + 1e-12), dtype=np.float64)


class LearnedScorer(ComplexityScorer):
    """Logistic regression over words, word pairs and cue features; numpy only at run time.

    ``fit`` is a classmethod that returns a new scorer; ``save``/``load`` round-trip it through a
    single ``.npz`` file. Words and cues are read from the head and tail of the last user message
    (:func:`~langchain_globalapi.routing.scorers.scan_window`), so a decision costs the same for
    a pasted book as for a page. Standardised cue features are clipped to ``dense_bounds``
    (default ``±DENSE_CLIP``; a per-feature lower bound can, for example, floor length so that
    "shorter is easier" is not extrapolated below the prompts a model was fitted on).

    Example:
        >>> scorer = LearnedScorer.fit(
        ...     ["hi", "thanks!", "prove the theorem", "derive the integral step by step"] * 5,
        ...     [0, 0, 1, 1] * 5,
        ...     min_count=1,
        ... )
        >>> scorer.score("derive this integral") > scorer.score("hi")
        True
    """

    def __init__(  # noqa: PLR0917 - the weights are the model; save/load name them
        self,
        vocabulary: Sequence[str],
        term_weights: npt.ArrayLike,
        dense_weights: npt.ArrayLike,
        dense_mean: npt.ArrayLike,
        dense_scale: npt.ArrayLike,
        bias: float,
        metadata: dict[str, Any] | None = None,
        embedding: WordEmbedding | None = None,
        *,
        dense_bounds: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    ) -> None:
        self.vocabulary = {term: i for i, term in enumerate(vocabulary)}
        self.embedding = embedding
        self.term_weights = np.asarray(term_weights, dtype=np.float64)
        self.dense_weights = np.asarray(dense_weights, dtype=np.float64)
        self.dense_mean = np.asarray(dense_mean, dtype=np.float64)
        self.dense_scale = np.asarray(dense_scale, dtype=np.float64)
        self.bias = float(bias)
        self._check_weights(embedding, dense_bounds)
        # A feature the training data never varied has a round-off "scale" (~1e-14), so any
        # other value of it at run time (a second user turn) would be ~1e13 deviations out:
        # such a feature carries no information and gets weight 0 (weights files written before
        # fit() handled constants exactly).
        constant = self.dense_scale <= 1e-9 * np.maximum(1.0, np.abs(self.dense_mean))
        if constant.any():
            self.dense_scale = np.where(constant, 1.0, self.dense_scale)
            self.dense_weights = np.where(constant, 0.0, self.dense_weights)
        self.metadata = dict(metadata or {})

    def _check_weights(
        self,
        embedding: WordEmbedding | None,
        dense_bounds: tuple[npt.ArrayLike, npt.ArrayLike] | None,
    ) -> None:
        if len(self.term_weights) != len(self.vocabulary):
            msg = "LearnedScorer: term_weights must have one weight per vocabulary entry"
            raise RoutingConfigError(msg)
        n_dense = len(DENSE_FEATURES) + (embedding.dims if embedding is not None else 0)
        for name in ("dense_weights", "dense_mean", "dense_scale"):
            if getattr(self, name).shape != (n_dense,):
                msg = f"LearnedScorer: {name} must have {n_dense} entries (cues + embedding dims)"
                raise RoutingConfigError(msg)
        for name in ("term_weights", "dense_weights", "dense_mean", "dense_scale", "bias"):
            if not np.isfinite(getattr(self, name)).all():
                msg = f"LearnedScorer: {name} holds NaN or infinite values; retrain the scorer"
                raise RoutingConfigError(msg)
        low, high = (-DENSE_CLIP, DENSE_CLIP) if dense_bounds is None else dense_bounds
        self.dense_low = np.broadcast_to(np.asarray(low, dtype=np.float64), (n_dense,)).copy()
        self.dense_high = np.broadcast_to(np.asarray(high, dtype=np.float64), (n_dense,)).copy()
        if not np.all(self.dense_low < self.dense_high):
            msg = "LearnedScorer: dense_bounds: every lower bound must be below its upper bound"
            raise RoutingConfigError(msg)

    # -- scoring --------------------------------------------------------------------------------

    def _features(self, conversation: Conversation) -> tuple[float, FloatArray, dict[str, float]]:
        """(word and word-pair logit, standardised clipped dense features, signals)."""
        tokens = tokenize(scan_window(conversation.text))
        signals = extract_signals(conversation, tokens)
        get = self.vocabulary.get
        ids = [i for i in map(get, set(_terms(tokens))) if i is not None]
        words = float(self.term_weights[ids].sum()) / math.sqrt(max(len(tokens), 1))
        features = _dense(signals)
        if self.embedding is not None:
            features = np.concatenate([features, self.embedding.mean(tokens)])
        dense = np.clip(
            (features - self.dense_mean) / self.dense_scale, self.dense_low, self.dense_high
        )
        return words, dense, signals

    def _logit(self, conversation: Conversation) -> tuple[float, dict[str, float]]:
        words, dense, signals = self._features(conversation)
        return self.bias + words + float(dense @ self.dense_weights), signals

    def dense_features(self, model_input: LanguageModelInput, *, tools: Tools = None) -> FloatArray:
        """The standardised, clipped cue features the model weighs (``DENSE_FEATURES`` order).

        For analysis and for building blended models (``scripts/train_scorer.py``).

        Example:
            >>> scorer = LearnedScorer.load_default()
            >>> scorer.dense_features("hi").shape == (len(DENSE_FEATURES),)
            True
        """
        return self._features(Conversation.from_input(model_input, tools))[1]

    def score_conversation(self, conversation: Conversation) -> float:
        """Probability-like score in (0, 1) from the logistic model."""
        z, _ = self._logit(conversation)
        return _sigmoid(z)

    def signals(self, model_input: LanguageModelInput, *, tools: Tools = None) -> dict[str, float]:
        """The cue signals plus ``logit`` (the model's raw output)."""
        z, signals = self._logit(Conversation.from_input(model_input, tools))
        return {**signals, "logit": z}

    def _prior_with_signals(
        self, model_input: LanguageModelInput, tools: Tools, conversation: Conversation
    ) -> tuple[float, dict[str, float]]:
        """Score and signals (with ``logit``) from one tokenisation and one model evaluation."""
        z, signals = self._logit(conversation)
        return _sigmoid(z), {**signals, "logit": z}

    # -- training -------------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        inputs: Sequence[LanguageModelInput],
        labels: Sequence[float] | npt.ArrayLike,
        *,
        sample_weight: npt.ArrayLike | None = None,
        l2: float = 1e-3,
        dense_l2: float = 1e-4,
        min_count: int = 3,
        max_terms: int = 30000,
        epochs: int = 300,
        learning_rate: float = 0.05,
        metadata: dict[str, Any] | None = None,
        embedding: WordEmbedding | None = None,
    ) -> LearnedScorer:
        """Train a new scorer on your own traffic (deterministic, numpy only).

        Args:
            inputs: Chat inputs (anything :meth:`score` accepts).
            labels: Targets in [0, 1] per input: 1 = needed the strong tier, 0 = the weak tier
                was enough. Soft labels work, e.g. ``(strong - weak + 1) / 2`` for correctness.
            sample_weight: Optional weight per input.
            l2: L2 penalty on word and word-pair weights (per example, averaged loss).
            dense_l2: L2 penalty on the cue-feature weights.
            min_count: Keep terms seen in at least this many inputs.
            max_terms: Keep at most this many terms (the most frequent).
            epochs: Full-batch Adam steps.
            learning_rate: Adam step size.
            metadata: Stored with the weights (training data, split, metrics).
            embedding: Optional static word vectors; their mean over the input's words is
                added to the cue features (and shipped with the weights).

        Returns:
            A new, fitted :class:`LearnedScorer`.
        """
        y = np.asarray(labels, dtype=np.float64).reshape(-1)
        if len(y) != len(inputs) or len(y) == 0:
            msg = "fit needs one label per input and at least one input"
            raise ValueError(msg)
        if np.any((y < 0) | (y > 1)):
            msg = "labels must lie in [0, 1] (1 = needed the strong tier)"
            raise ValueError(msg)
        sw = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, float)
        conversations = [Conversation.from_input(x) for x in inputs]
        token_lists = [tokenize(scan_window(c.text)) for c in conversations]
        doc_terms = [set(_terms(tokens)) for tokens in token_lists]
        counts = Counter(term for terms in doc_terms for term in terms)
        kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: -counts[t])
        vocabulary = sorted(kept[:max_terms])
        index = {term: i for i, term in enumerate(vocabulary)}
        rows, cols, vals = [], [], []
        for r, (terms, tokens) in enumerate(zip(doc_terms, token_lists, strict=True)):
            ids = [index[t] for t in terms if t in index]
            rows += [r] * len(ids)
            cols += ids
            vals += [1.0 / math.sqrt(max(len(tokens), 1))] * len(ids)
        dense = np.stack(
            [_dense(extract_signals(c, t)) for c, t in zip(conversations, token_lists, strict=True)]
        )
        if embedding is not None:
            dense = np.hstack([dense, np.stack([embedding.mean(t) for t in token_lists])])
        # A column with one value (e.g. user_turns on single-turn training prompts) is made
        # exactly 0 after standardising, so its gradient and weight stay exactly 0.
        constant = np.ptp(dense, axis=0) == 0
        mean, scale = dense.mean(axis=0), dense.std(axis=0)
        mean[constant], scale[constant] = dense[0, constant], 1.0
        standardised = np.clip((dense - mean) / scale, -DENSE_CLIP, DENSE_CLIP)
        sparse = (np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(vals))
        w_terms, w_dense, bias = _train_logistic(
            sparse,
            len(vocabulary),
            standardised,
            y,
            sw / sw.mean(),
            l2=l2,
            dense_l2=dense_l2,
            epochs=epochs,
            learning_rate=learning_rate,
        )
        return cls(vocabulary, w_terms, w_dense, mean, scale, bias, metadata, embedding)

    # -- persistence ----------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the weights to one compressed ``.npz`` file (term weights as float16)."""
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        extra: dict[str, Any] = {}
        if self.embedding is not None:
            extra["embedding_words"] = np.asarray("\n".join(self.embedding.words))
            extra["embedding_vectors"] = self.embedding.vectors.astype(np.float16)
        np.savez_compressed(
            Path(path),
            **extra,
            vocabulary=np.asarray("\n".join(vocabulary)),
            term_weights=self.term_weights.astype(np.float16),
            dense_names=np.asarray("\n".join(DENSE_FEATURES)),
            dense_weights=self.dense_weights,
            dense_mean=self.dense_mean,
            dense_scale=self.dense_scale,
            dense_low=self.dense_low,
            dense_high=self.dense_high,
            bias=np.asarray(self.bias),
            metadata=np.asarray(json.dumps({"format": _FORMAT_VERSION, **self.metadata})),
        )

    @classmethod
    def load(cls, path: str | Path) -> LearnedScorer:
        """Load weights written by :meth:`save`.

        Raises:
            RoutingConfigError: the file is missing, not a weights file written by
                :meth:`save`, or was trained with other cue features; it names the file.
        """
        try:
            return cls._load(Path(path))
        except RoutingConfigError as exc:
            raise RoutingConfigError(f"{path}: {exc}") from exc
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            msg = (
                f"{path}: not a LearnedScorer weights file ({type(exc).__name__}: {exc}); "
                "write one with LearnedScorer.save() or scripts/train_scorer.py"
            )
            raise RoutingConfigError(msg) from exc

    @classmethod
    def _load(cls, path: Path) -> LearnedScorer:
        with np.load(path, allow_pickle=False) as data:
            if str(data["dense_names"]).split("\n") != list(DENSE_FEATURES):
                msg = "trained with other cue features: retrain it with this version"
                raise RoutingConfigError(msg)
            vocabulary = str(data["vocabulary"]).split("\n") if data["vocabulary"].size else []
            embedding = None
            if "embedding_vectors" in data:
                embedding = WordEmbedding(
                    str(data["embedding_words"]).split("\n"), data["embedding_vectors"]
                )
            return cls(
                vocabulary=vocabulary if vocabulary != [""] else [],
                term_weights=data["term_weights"].astype(np.float64),
                dense_weights=data["dense_weights"],
                dense_mean=data["dense_mean"],
                dense_scale=data["dense_scale"],
                bias=float(data["bias"]),
                metadata=_metadata(str(data["metadata"])),
                embedding=embedding,
                dense_bounds=(data["dense_low"], data["dense_high"])
                if "dense_low" in data
                else None,
            )

    @classmethod
    def load_default(cls) -> LearnedScorer:
        """Load the weights shipped with the package (see ``scripts/train_scorer.py``)."""
        ref = resources.files("langchain_globalapi.routing") / "_weights" / "default.npz"
        with resources.as_file(ref) as path:
            return cls.load(path)


def _metadata(text: str) -> dict[str, Any]:
    metadata = json.loads(text)
    if not isinstance(metadata, dict):
        msg = f"metadata must be a JSON object, got {type(metadata).__name__}"
        raise RoutingConfigError(msg)
    return metadata


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(max(z, -30.0), 30.0)))


def _train_logistic(
    sparse: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray],
    n_terms: int,
    dense: FloatArray,
    y: FloatArray,
    sample_weight: FloatArray,
    *,
    l2: float,
    dense_l2: float,
    epochs: int,
    learning_rate: float,
) -> tuple[FloatArray, FloatArray, float]:
    """Full-batch Adam on weighted cross-entropy; the term matrix is given as COO triplets."""
    rows, cols, vals = sparse
    n = len(y)
    params = [
        np.zeros(n_terms),
        np.zeros(dense.shape[1]),
        np.array([math.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3))]),
    ]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        w_terms, w_dense, b = params
        z = np.bincount(rows, weights=vals * w_terms[cols], minlength=n) + dense @ w_dense + b[0]
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        residual = sample_weight * (p - y) / n
        grads = [
            np.bincount(cols, weights=vals * residual[rows], minlength=n_terms) + l2 * w_terms,
            dense.T @ residual + dense_l2 * w_dense,
            np.array([residual.sum()]),
        ]
        for param, grad, (first, second) in zip(params, grads, moments, strict=True):
            first[:] = beta1 * first + (1 - beta1) * grad
            second[:] = beta2 * second + (1 - beta2) * grad * grad
            m, v = first, second
            param[:] = param - (
                learning_rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
            )
    return params[0], params[1], float(params[2][0])
