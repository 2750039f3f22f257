"""Edit a taxonomy file: promote a discovered topic into it, or set its threshold.

Both keep the file as the team wrote it (comments, order): a promoted topic is appended to the
``topics`` list as YAML text, the ``version`` is raised by one, and the result is validated
before the file is replaced, so a promotion never leaves a taxonomy that does not load.

The promoted topic's examples are what its calls' customers said (the stored evidence, already
redacted), up to five per language; its title is the discovered name. Edit both before the
taxonomy goes live: a discovered name is a list of key phrases, not a title.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from qa_toolkit.errors import UsageError
from qa_toolkit.nlp.text import is_chinese
from qa_toolkit.review.workflow import StoreLike, opened
from qa_toolkit.rubric.problems import compose
from qa_toolkit.store import topics as topic_sql
from qa_toolkit.store.connection import transaction
from qa_toolkit.topics.taxonomy import Taxonomy, parse_taxonomy

_VERSION = re.compile(r"^version:[ \t]*(\d+)[ \t]*(#.*)?$", re.MULTILINE)
_THRESHOLD = re.compile(r"^threshold:[ \t]*[0-9.]+", re.MULTILINE)
_EXAMPLES_PER_LANGUAGE = 5


def _write(path: Path, text: str) -> Taxonomy:
    """Validate, then replace the file atomically."""
    taxonomy = parse_taxonomy(text, str(path))
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
    return taxonomy


def _bump_version(text: str) -> str:
    return _VERSION.sub(lambda m: f"version: {int(m.group(1)) + 1}" + (
        f" {m.group(2)}" if m.group(2) else ""), text, count=1)  # fmt: skip


def set_threshold(path: str | Path, threshold: float) -> Taxonomy:
    """Write a new ``threshold`` into a taxonomy file and raise its version.

    Raises:
        UsageError: the file has no top-level ``threshold:`` line to change.
        TaxonomyError: the result does not validate (the file is left as it was).
    """
    file = Path(path)
    text = file.read_text("utf-8")
    if not _THRESHOLD.search(text):
        raise UsageError(f"{file}: no 'threshold:' line",
                         fix="add 'threshold: 0.4' at the top level, then run again")  # fmt: skip
    changed = _THRESHOLD.sub(f"threshold: {threshold:.2f}", text, count=1)
    return _write(file, _bump_version(changed))


def _examples(quotes: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for quote in quotes:
        text = " ".join(quote.split()).rstrip("…").strip()
        if len(text) < 4 or "[" in text:
            continue  # a redacted quote reads badly as an example
        group = out.setdefault("zh" if is_chinese(text) else "en", [])
        if text not in group and len(group) < _EXAMPLES_PER_LANGUAGE:
            group.append(text)
    return out


def _entry(topic: topic_sql.TopicRow, new_id: str, quotes: Sequence[str],
           languages: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    examples = _examples(quotes)
    missing = [lang for lang in languages if lang not in examples]
    if missing:
        raise UsageError(
            f"topic {topic.topic_id} has no {', '.join(missing)} calls to take examples from",
            fix="add the examples to the taxonomy by hand, or promote it when such calls came",
        )
    phrases = "; ".join(p for lang in languages for p in topic.key_phrases.get(lang, [])[:4])
    return {
        "id": new_id,
        "title": {lang: topic.name.get(lang, new_id) for lang in languages},
        "description": {lang: f"Promoted from discovered topic {topic.topic_id} "
                              f"(key phrases: {phrases})" for lang in languages[:1]},
        "examples": {lang: examples[lang] for lang in languages},
    }  # fmt: skip


def _append(text: str, origin: str, entry: dict[str, Any]) -> str:
    data, marks = compose(text, origin)
    keys = {k[0]: marks.keys[k] for k in marks.keys if len(k) == 1}
    if "topics" not in keys or max(keys.values()) != keys["topics"]:
        raise UsageError(
            f"{origin}: 'topics:' is not the last key of the file",
            fix="move the topics list to the end of the taxonomy, then run again",
        )
    ids = {t.get("id") for t in data.get("topics") or [] if isinstance(t, dict)}
    if entry["id"] in ids:
        raise UsageError(f"{origin}: already has a topic {entry['id']!r}", fix="pass --as NEW_ID")
    column = marks.values.get(("topics", 0), (1, 3))[1] - 3
    block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=1000)
    indented = "".join(" " * max(column, 0) + line for line in block.splitlines(keepends=True))
    return text.rstrip("\n") + "\n" + indented


def promote_topic(
    store: StoreLike, topic_id: str, taxonomy_path: str | Path, *, new_id: str | None = None
) -> Taxonomy:
    """Add a discovered topic to a taxonomy file, and mark it promoted in the store.

    Args:
        store: the store holding the topic.
        topic_id: the discovered topic (``t07``).
        taxonomy_path: the taxonomy file to extend.
        new_id: its id in the taxonomy (default: the discovered id).

    Returns:
        The taxonomy as written (its version raised by one).

    Raises:
        UsageError: no such discovered topic, an id already used, or a language without
            examples.
    """
    file = Path(taxonomy_path)
    with opened(store) as st:
        found = {t.topic_id: t for t in topic_sql.topic_rows(st.conn, "discovered")}
        if topic_id not in found:
            known = ", ".join(sorted(found)) or "none yet: run qa topics --store"
            raise UsageError(f"no discovered topic {topic_id!r}", fix=f"use one of {known}")
        quotes = [
            row.evidence.get("quote", "")
            for row in topic_sql.call_topic_rows(st.conn).values()
            if row.topic_id == topic_id
        ]
        quotes = [e["quote"] for e in found[topic_id].examples] + sorted(quotes, key=len)
        text = file.read_text("utf-8")
        current = parse_taxonomy(text, str(file))
        entry = _entry(found[topic_id], new_id or topic_id, quotes, current.languages)
        written = _write(file, _bump_version(_append(text, str(file), entry)))
        with transaction(st.conn, st.where) as conn:
            topic_sql.set_topic_status(
                conn, topic_id, "promoted", f"{written.id}@{written.version}:{entry['id']}"
            )
    return written


__all__ = ["promote_topic", "set_threshold"]
