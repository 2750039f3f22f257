"""``topic.v1``: the call's contact reason, from a taxonomy, as a rubric event or condition.

Passes when the taxonomy assigns the call one of the ``topic`` ids (the assignment of
:mod:`qa_toolkit.topics.assign`: the customer's opening against the topics' examples); its
evidence quotes the customer's sentence that decided. Like ``metric``, it reads the call's
opening whatever the item's ``speaker`` and ``window``. Rubrics use it as an event
(``detector: topic.v1``, ``taxonomy: …``, ``topic: billing``) or, shorter, name a
``taxonomy:`` at their top and write ``applies_if: {topic: billing}`` on an item.

The taxonomy file is relative to the rubric, checked when the rubric loads: a topic the
taxonomy lacks is an error at its line, with "did you mean".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from qa_toolkit.errors import did_you_mean
from qa_toolkit.models.files import resolve_model_path
from qa_toolkit.rubric.detectors import Detection, View, register
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.topics.assign import TopicAssigner
from qa_toolkit.topics.taxonomy import Taxonomy, TaxonomyError, load_taxonomy


def _load(path: Path) -> Taxonomy:
    try:
        return load_taxonomy(path)
    except TaxonomyError as error:
        raise ValueError(f"the taxonomy does not load: {error}") from None


class TopicOptions(Strict):
    """Options of ``topic.v1``: the taxonomy file, the topic id(s), optionally a threshold."""

    taxonomy: str
    topic: str | list[str]
    threshold: float | None = Field(default=None, gt=0, lt=1)
    _path: Path | None = PrivateAttr(default=None)

    @field_validator("taxonomy")
    @classmethod
    def _loads(cls, value: str, info: ValidationInfo) -> str:
        _load(resolve_model_path(value, info))
        return value

    @model_validator(mode="after")
    def _known(self, info: ValidationInfo) -> TopicOptions:
        path = resolve_model_path(self.taxonomy, info)
        ids = _load(path).ids
        for topic in self.topics:
            if topic not in ids:
                raise ValueError(f"no topic {topic!r} in {self.taxonomy}{did_you_mean(topic, ids)}")
        self._path = path
        return self

    @property
    def topics(self) -> tuple[str, ...]:
        """The topic ids that make it pass."""
        return (self.topic,) if isinstance(self.topic, str) else tuple(self.topic)

    @property
    def path(self) -> Path:
        """The taxonomy file, resolved against the rubric's folder."""
        return self._path or Path(self.taxonomy)

    @classmethod
    def taxonomy_ids(cls, value: str, rubric_dir: Path | None) -> tuple[Path, tuple[str, ...]]:
        """The taxonomy a rubric's top-level ``taxonomy:`` names, and its topic ids.

        Raises:
            ValueError: the file does not load.
        """
        path = Path(value).expanduser()
        if not path.is_absolute() and rubric_dir is not None:
            path = rubric_dir / path
        return path, _load(path).ids


@lru_cache(maxsize=4)
def _assigner(path: str, digest: str, threshold: float | None) -> TopicAssigner:
    del digest  # part of the cache key only: a changed file is a new assigner
    return TopicAssigner(load_taxonomy(path), threshold=threshold)


@register("topic", 1, TopicOptions, "the call's contact reason is one of a taxonomy's topics")
def detect(view: View, options: TopicOptions) -> Detection:
    """Pass when the call's contact reason is one of ``topic``."""
    taxonomy = load_taxonomy(options.path)
    found = _assigner(str(options.path), taxonomy.digest, options.threshold).assign(view.transcript)
    wanted = options.topics
    if found.topic_id in wanted:
        assert found.evidence is not None
        return Detection("pass", (found.evidence,), value=found.similarity)
    if found.evidence is None:
        why = f"the customer gave no reason to read; not {' or '.join(wanted)}"
        return Detection("fail", (Evidence("", "", 0.0, 0.0, "", why),))
    said = found.topic_id or "none of the taxonomy's topics"
    why = (f"contact reason is {said} (closest {found.best}, similarity {found.similarity:.2f}), "
           f"not {' or '.join(wanted)}")  # fmt: skip
    evidence = found.evidence
    return Detection("fail", (Evidence(evidence.utterance_id, evidence.speaker, evidence.start_s,
                                       evidence.end_s, evidence.quote, why),),
                     value=found.similarity)  # fmt: skip


__all__ = ["TopicOptions", "detect"]
