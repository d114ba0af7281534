"""Behaviour of the complexity scorers and the RouteLLM routing metrics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue, StringPromptValue

from langchain_globalapi.bench.datasets import (
    DEFAULT_DATA_DIR,
    HELD_OUT_MMLU_SUBJECTS,
    LabelledPrompt,
    as_arrays,
    is_held_out,
    load_gsm8k,
    load_mmlu,
    load_mt_bench,
    suspect_subjects,
)
from langchain_globalapi.bench.evaluation import (
    bootstrap_metrics,
    length_scores,
    oracle_scores,
    pgr_curve,
    random_scores,
    routing_metrics,
)
from langchain_globalapi.routing import (
    ComplexityScorer,
    Conversation,
    HeuristicScorer,
    LearnedScorer,
    LengthScorer,
    heuristic,
    scorers,
)
from langchain_globalapi.routing.heuristic import HEAD_CHARS, HEURISTIC_WEIGHTS, TAIL_CHARS
from langchain_globalapi.routing.learned import DENSE_CLIP, DENSE_FEATURES, WordEmbedding
from langchain_globalapi.routing.scorers import extract_signals, to_messages, tokenize

REPO = Path(__file__).resolve().parents[3]
HARD = (
    "A train leaves at 3pm at 60 km/h and a second at 4pm at 80 km/h. Step by step, derive "
    "when the second catches up, prove your answer is unique, then write Python code that "
    "computes it for arbitrary speeds and return the result as JSON."
)
SCORERS = [LengthScorer(), HeuristicScorer(), LearnedScorer.load_default()]
INPUTS = [
    "hi",
    [HumanMessage("hi")],
    [("system", "be brief"), ("human", "hi")],
    [{"role": "user", "content": "hi"}],
    StringPromptValue(text="hi"),
    ChatPromptValue(messages=[HumanMessage("hi")]),
]


@pytest.fixture(params=SCORERS, ids=lambda s: type(s).__name__)
def scorer(request: pytest.FixtureRequest) -> ComplexityScorer:
    return request.param


@pytest.mark.parametrize("model_input", INPUTS, ids=lambda x: type(x).__name__)
def test_every_chat_input_type_scores_in_unit_interval(scorer, model_input) -> None:
    assert 0.0 <= scorer.score(model_input) <= 1.0


def test_same_user_text_scores_the_same_whatever_the_input_type(scorer) -> None:
    single_turn = [x for x in INPUTS if not isinstance(x, list) or len(x) == 1]
    assert len({round(scorer.score(x), 9) for x in single_turn}) == 1


def test_long_multi_step_math_and_code_prompt_scores_above_a_greeting(scorer) -> None:
    assert scorer.score(HARD) > scorer.score("hi")


def test_score_batch_matches_score(scorer) -> None:
    assert scorer.score_batch(["hi", HARD]) == [scorer.score("hi"), scorer.score(HARD)]


@pytest.mark.parametrize("tools", [None, [{"type": "function", "function": {"name": "f"}}]])
def test_score_with_signals_equals_score_and_signals(scorer, tools) -> None:
    chat = [("system", "be brief"), ("human", "hi"), ("ai", "hello"), ("human", HARD)]
    score, signals = scorer.score_with_signals(chat, tools=tools)
    assert score == scorer.score(chat, tools=tools)
    assert signals == scorer.signals(chat, tools=tools)


def test_unsupported_input_raises_type_error(scorer) -> None:
    with pytest.raises(TypeError, match="cannot score"):
        scorer.score(42)


def test_length_scorer_sends_over_2000_chars_to_strong() -> None:
    assert LengthScorer().score("x" * 2001) == 1.0
    assert LengthScorer().score("x" * 2000) == 0.5


def test_conversation_scores_the_last_user_message_and_counts_turns() -> None:
    convo = Conversation.from_input(
        [
            SystemMessage("You are terse."),
            HumanMessage("first question"),
            AIMessage("", tool_calls=[{"name": "search", "args": {}, "id": "1"}]),
            HumanMessage("second question"),
        ],
        tools=[{"name": "search"}],
    )
    assert convo.text == "second question"
    assert (convo.user_turns, convo.system_chars) == (2, 14)
    assert (convo.tool_calls_in_history, convo.tools) == (1, 1)


def test_multimodal_content_keeps_text_and_counts_images() -> None:
    message = HumanMessage(
        content=[
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ]
    )
    convo = Conversation.from_input([message])
    assert convo.text == "What is in this picture?"
    assert convo.media == 1
    assert HeuristicScorer().signals([message])["media"] == 1.0


def test_offered_tools_raise_the_heuristic_score() -> None:
    scorer = HeuristicScorer()
    assert scorer.score("book it", tools=[{"name": "a"}, {"name": "b"}]) > scorer.score("book it")


def test_signals_name_the_cues_that_fired() -> None:
    signals = HeuristicScorer().signals(HARD)
    for cue in ("code", "math", "reasoning", "structured_output"):
        assert signals[cue] > 0, cue
    assert "logit" in LearnedScorer.load_default().signals(HARD)


def test_learned_fit_save_load_round_trip(tmp_path: Path) -> None:
    prompts = ["hi", "thanks", "prove the theorem", "derive the integral step by step"] * 5
    scorer = LearnedScorer.fit(prompts, [0, 0, 1, 1] * 5, min_count=1, metadata={"who": "test"})
    scorer.save(tmp_path / "w.npz")
    loaded = LearnedScorer.load(tmp_path / "w.npz")
    assert loaded.score_batch(prompts[:4]) == pytest.approx(scorer.score_batch(prompts[:4]), 1e-3)
    assert loaded.metadata["who"] == "test"
    assert loaded.score("prove it") > loaded.score("hi")


TAX_THREAD = [
    ("system", "You are a careful tax assistant."),
    ("human", "I freelance in two countries."),
    ("ai", "Which two countries, and where are you resident?"),
    (
        "human",
        "Resident in Portugal, clients in Germany. Do I owe German income tax on those fees, "
        "and how does the double taxation treaty apply? Walk me through it.",
    ),
]


def test_shipped_scorer_does_not_saturate_on_a_multi_turn_conversation() -> None:
    # Regression: user_turns never varied in training, so a second turn was ~1e13 standard
    # deviations out and scored exactly 0.0.
    scorer = LearnedScorer.load_default()
    score, signals = scorer.score_with_signals(TAX_THREAD)
    assert signals["user_turns"] == 2
    assert 0.02 < score < 0.98
    assert abs(signals["logit"] - scorer.signals(TAX_THREAD[-1][1])["logit"]) < 3.0


def test_fit_gives_features_that_never_varied_in_training_zero_weight() -> None:
    prompts = ["hi", "thanks", "prove the theorem", "derive the integral step by step"] * 5
    scorer = LearnedScorer.fit(prompts, [0, 0, 1, 1] * 5, min_count=1)
    many_turns = [("system", "x" * 5000)] + [("human", "hi"), ("ai", "ok")] * 20 + [("human", "hi")]
    assert scorer.score(many_turns) == pytest.approx(scorer.score("hi"))


def test_weights_with_a_round_off_scale_ignore_that_feature() -> None:
    n = len(DENSE_FEATURES)
    scale = np.ones(n)
    scale[DENSE_FEATURES.index("user_turns")] = 7e-14  # what std() gives for a constant column
    scorer = LearnedScorer([], [], np.full(n, 0.5), np.zeros(n), scale, 0.0)
    assert scorer.score([("human", "a"), ("human", "b")]) == pytest.approx(scorer.score("b"))


def test_standardised_features_are_clipped_so_a_huge_input_cannot_saturate() -> None:
    n = len(DENSE_FEATURES)
    weights = np.zeros(n)
    weights[DENSE_FEATURES.index("numbers")] = 1.0
    scorer = LearnedScorer([], [], weights, np.zeros(n), np.full(n, 0.01), 0.0)
    many_numbers = " ".join(str(i) for i in range(2000))
    assert scorer.signals(many_numbers)["logit"] == pytest.approx(DENSE_CLIP)


def test_learned_fit_rejects_labels_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LearnedScorer.fit(["a", "b"], [0, 2])


def test_shipped_weights_are_small_and_document_their_split() -> None:
    path = REPO / "langchain_globalapi" / "routing" / "_weights" / "default.npz"
    assert path.stat().st_size < 2_000_000
    metadata = LearnedScorer.load_default().metadata
    assert metadata["held_out_mmlu_subjects"] == list(HELD_OUT_MMLU_SUBJECTS)


# -- evaluation metrics -------------------------------------------------------------------------


def test_oracle_ranking_reaches_full_pgr_at_the_share_of_strong_only_wins() -> None:
    weak = np.array([0, 0, 1, 1, 1, 0, 1, 1, 1, 1], dtype=float)
    strong = np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 1], dtype=float)
    shares, pgr = pgr_curve(oracle_scores(weak, strong), weak, strong)
    assert (shares[2], pgr[2]) == pytest.approx((0.2, 1.0))  # 2 of 10 prompts need strong
    metrics = routing_metrics(oracle_scores(weak, strong), weak, strong)
    assert metrics.cpt50 == pytest.approx(0.1)
    assert metrics.apgr == pytest.approx(0.9)  # 1 minus the area lost on the way up


def test_reverse_oracle_recovers_nothing_until_the_end() -> None:
    weak, strong = np.array([0.0, 1.0, 1.0, 1.0]), np.ones(4)
    metrics = routing_metrics(-oracle_scores(weak, strong), weak, strong)
    assert metrics.apgr == pytest.approx(0.125)
    assert metrics.cpt50 == pytest.approx(0.875)


def test_random_scores_give_apgr_about_half_on_a_large_synthetic_set() -> None:
    rng = np.random.default_rng(1)
    weak = (rng.random(20000) < 0.6).astype(float)
    strong = np.maximum(weak, rng.random(20000) < 0.5)
    apgr = routing_metrics(random_scores(20000, seed=3), weak, strong).apgr
    assert apgr == pytest.approx(0.5, abs=0.02)


def test_tied_scores_are_routed_in_expectation() -> None:
    weak, strong = np.array([0.0, 1.0, 0.0, 1.0]), np.ones(4)
    metrics = routing_metrics(np.zeros(4), weak, strong)
    assert (metrics.apgr, metrics.cpt50) == pytest.approx((0.5, 0.5))


def test_cost_cut_at_95_percent_quality_uses_per_call_costs() -> None:
    weak, strong = np.array([0.0] * 10 + [1.0] * 90), np.ones(100)
    best = routing_metrics(oracle_scores(weak, strong), weak, strong, strong_cost=10, weak_cost=0)
    assert (best.strong_share_at_95, best.cost_cut_at_95) == pytest.approx((0.05, 0.95))
    worst = routing_metrics(-oracle_scores(weak, strong), weak, strong, strong_cost=10, weak_cost=1)
    assert worst.strong_share_at_95 == pytest.approx(0.95)
    assert worst.cost_cut_at_95 == pytest.approx(1 - (0.95 * 10 + 0.05 * 1) / 10)


def test_bootstrap_is_seeded_and_brackets_the_point_estimate() -> None:
    rng = np.random.default_rng(0)
    weak = (rng.random(500) < 0.6).astype(float)
    strong = np.maximum(weak, rng.random(500) < 0.5)
    scores = strong - weak + rng.normal(0, 1, 500)
    first = bootstrap_metrics(scores, weak, strong, n_resamples=100, seed=7)
    assert first == bootstrap_metrics(scores, weak, strong, n_resamples=100, seed=7)
    assert first["apgr"].low <= first["apgr"].value <= first["apgr"].high


def test_length_baseline_is_prompt_length() -> None:
    assert list(length_scores(["a", "abc"])) == [1.0, 3.0]


def _held_out_sets() -> dict[str, list[LabelledPrompt]]:
    rows = [r for r in load_mmlu(DEFAULT_DATA_DIR) + load_gsm8k(DEFAULT_DATA_DIR) if is_held_out(r)]
    flagged = suspect_subjects(load_mmlu(DEFAULT_DATA_DIR))
    mmlu = [r for r in rows if r.group.startswith("mmlu/")]
    return {
        "mmlu": mmlu,
        "mmlu_unflagged": [r for r in mmlu if r.group not in flagged],
        "gsm8k_odd": [r for r in rows if r.group.startswith("gsm8k/")],
        "mt_bench": load_mt_bench(DEFAULT_DATA_DIR),
    }


@pytest.mark.data
@pytest.mark.skipif(
    not (DEFAULT_DATA_DIR / "routellm").is_dir(), reason=f"no shared data at {DEFAULT_DATA_DIR}"
)
@pytest.mark.parametrize("held_out", ["mmlu", "mmlu_unflagged", "gsm8k_odd", "mt_bench"])
def test_shipped_prior_ranks_at_least_as_well_as_length_on_every_held_out_set(held_out) -> None:
    prompts, weak, strong = as_arrays(_held_out_sets()[held_out])
    prior = routing_metrics(LearnedScorer.load_default().score_batch(prompts), weak, strong)
    length = routing_metrics(length_scores(prompts), weak, strong)
    assert prior.apgr >= length.apgr


@pytest.mark.parametrize(
    "chat",
    [
        [("system", "Be brief."), ("human", "hi"), ("ai", "hello"), ("user", "and then?")],
        [("system", "only a system prompt")],
        (("human", "a tuple of tuples"),),
    ],
)
def test_role_tuples_read_the_same_as_messages(chat) -> None:
    assert Conversation.from_input(chat, ["t"]) == Conversation.from_input(to_messages(chat), ["t"])


def test_extract_signals_tokenizes_when_no_tokens_are_given() -> None:
    text = "Solve 3x^2 + 2 = 14, then explain WHY step by step; return JSON {x: 2}. NOT 12?"
    conversation = Conversation.from_input(text)
    assert extract_signals(conversation) == extract_signals(conversation, tokenize(text))


# -- the heuristic's bounded scan ---------------------------------------------------------------

FILLER = "lorem ipsum dolor sit amet " * 200  # ~5,400 chars, no cue words


def test_heuristic_reads_cues_in_the_head_and_tail_but_not_the_middle_of_a_long_prompt() -> None:
    scorer = HeuristicScorer()
    middle = scorer.signals(FILLER + " integral derivative " + FILLER)
    assert middle["math"] == 0.0
    assert scorer.signals("integral " + FILLER)["math"] == 1.0
    assert scorer.signals(FILLER + " derivative")["math"] == 1.0


def test_heuristic_takes_the_length_from_the_whole_message() -> None:
    text = "x" * (HEAD_CHARS + TAIL_CHARS + 5000)
    assert HeuristicScorer().signals(text)["chars"] == len(text)
    assert HeuristicScorer().score(text) > HeuristicScorer().score(text[:2000])


def test_heuristic_finds_ascii_cues_inside_non_ascii_text() -> None:
    signals = HeuristicScorer().signals("Écris une function Python: déf `code`, 2+2=4 ÉXCEPT ²")
    assert signals["code"] == 4.0  # function, python, code, and the symbol `
    assert signals["math"] == 2.0  # the symbols + and =


def test_heuristic_counts_distinct_numbers_and_multiple_choice_options() -> None:
    text = "Which is NOT prime? 12 12 7\nA. 4\nB. 9\nC. 7\nD) 15"
    signals = HeuristicScorer().signals(text)
    assert (signals["numbers"], signals["options"]) == (5.0, 4.0)  # distinct: 12 7 4 9 15
    assert (signals["questions"], signals["uppercase_negation"]) == (1.0, 1.0)


def test_heuristic_counts_phrases_as_reasoning_cues() -> None:
    signals = HeuristicScorer().signals("Go step by step: how many apples, if and only if ripe?")
    assert signals["reasoning"] == 3.0


def test_heuristic_signals_are_exactly_what_it_scores() -> None:
    scorer = HeuristicScorer()
    signals = scorer.signals(HARD)
    z = scorer.bias + sum(
        weight * (signals[name] if name == "log_chars" else math.log1p(signals[name]))
        for name, weight in scorer.weights.items()
    )
    assert scorer.score(HARD) == pytest.approx(1.0 / (1.0 + math.exp(-z)), abs=1e-12)


def test_heuristic_ignores_weights_that_name_no_signal() -> None:
    plain = HeuristicScorer()
    extra = HeuristicScorer(weights={**HEURISTIC_WEIGHTS, "no_such_signal": 5.0})
    assert extra.score(HARD) == plain.score(HARD)


def test_learned_scorer_with_word_embedding_round_trips(tmp_path: Path) -> None:
    table = WordEmbedding(["prove", "integral", "hi", "thanks"], np.eye(4, 2, dtype=np.float16))
    scorer = LearnedScorer.fit(
        ["hi", "thanks!", "prove the theorem", "derive the integral"] * 5,
        [0, 0, 1, 1] * 5,
        min_count=1,
        embedding=table,
    )
    scorer.save(tmp_path / "w.npz")
    loaded = LearnedScorer.load(tmp_path / "w.npz")
    assert loaded.embedding is not None
    assert loaded.embedding.dims == 2
    assert loaded.score("prove it") == pytest.approx(scorer.score("prove it"), abs=1e-4)


def test_heuristic_names_still_import_from_scorers() -> None:
    # HeuristicScorer and its feature extraction moved to heuristic.py; the old path re-exports.
    assert scorers.HeuristicScorer is HeuristicScorer is heuristic.HeuristicScorer
    for name in heuristic.__all__:
        assert getattr(scorers, name) is getattr(heuristic, name)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = scorers.no_such_name


def test_learned_scorer_reads_words_and_cues_in_the_head_and_tail_only() -> None:
    scorer = LearnedScorer.load_default()
    plain = scorer.signals(FILLER + " filler " + FILLER)
    hidden = scorer.signals(FILLER + " integral derivative " + FILLER)
    assert hidden["math"] == 0.0
    assert hidden["logit"] == pytest.approx(plain["logit"], abs=0.05)  # only the length differs
    assert scorer.signals(FILLER + " derivative")["math"] == 1.0


def test_learned_scorer_takes_the_length_from_the_whole_message() -> None:
    text = "x" * (HEAD_CHARS + TAIL_CHARS + 5000)
    assert LearnedScorer.load_default().signals(text)["chars"] == len(text)


def test_dense_bounds_floor_a_feature_and_survive_save_and_load(tmp_path: Path) -> None:
    n = len(DENSE_FEATURES)
    weights = np.zeros(n)
    weights[DENSE_FEATURES.index("log_chars")] = 1.0
    low = np.full(n, -DENSE_CLIP)
    low[DENSE_FEATURES.index("log_chars")] = 0.5
    scorer = LearnedScorer([], [], weights, np.zeros(n), np.ones(n), 0.0, dense_bounds=(low, 5))
    assert scorer.signals("a")["logit"] == pytest.approx(0.5)  # floored
    assert scorer.signals("a" * 500)["logit"] > 0.5
    scorer.save(tmp_path / "w.npz")
    loaded = LearnedScorer.load(tmp_path / "w.npz")
    assert loaded.score("a") == scorer.score("a")
    assert loaded.dense_low.tolist() == low.tolist()


def test_dense_bounds_must_be_increasing() -> None:
    n = len(DENSE_FEATURES)
    with pytest.raises(ValueError, match="lower bound"):
        LearnedScorer([], [], np.zeros(n), np.zeros(n), np.ones(n), 0.0, dense_bounds=(1, 1))


def test_suspect_subjects_flag_a_strong_model_below_its_floor_but_not_a_hard_subject() -> None:
    hard = [LabelledPrompt("q", weak=float(i % 3 == 0), strong=float(i % 3 < 2), group="mmlu/hard")
            for i in range(30)]  # fmt: skip
    broken = [LabelledPrompt("q", weak=1.0, strong=float(i % 10 < 4), group="mmlu/broken")
              for i in range(30)]  # fmt: skip
    assert suspect_subjects(hard + broken) == {"mmlu/broken": "strong 40.0% below 50%"}


def test_subject_bootstrap_resamples_whole_groups() -> None:
    rng = np.random.default_rng(0)
    weak = (rng.random(200) < 0.6).astype(float)
    strong = np.maximum(weak, rng.random(200) < 0.5)
    scores = rng.random(200)
    by_prompt = bootstrap_metrics(scores, weak, strong, n_resamples=100, seed=1)
    one_group = bootstrap_metrics(scores, weak, strong, n_resamples=100, seed=1, groups=["s"] * 200)
    # One subject resampled whole is the same set every time: the interval is the point.
    assert one_group["apgr"].low == one_group["apgr"].high == one_group["apgr"].value
    assert by_prompt["apgr"].low < by_prompt["apgr"].value < by_prompt["apgr"].high


def test_subject_bootstrap_needs_one_group_per_prompt() -> None:
    with pytest.raises(ValueError, match="one label per prompt"):
        bootstrap_metrics(np.zeros(3), np.zeros(3), np.ones(3), groups=["a"])
