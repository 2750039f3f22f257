"""The parsers of what users hand the toolkit, fed anything: a result or the toolkit's own error.

Transcripts (JSON and text), rubrics and label files come from people and other systems. Whatever
they hold, parsing ends in a value or in the error that names the file and the fix: never a
``KeyError``, ``TypeError`` or ``RecursionError`` traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.calibrate.labels import load_labels
from qa_toolkit.errors import LabelFileError, RubricError, TranscriptFormatError
from qa_toolkit.io.transcripts import parse_text_transcript
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.types import Transcript

# Derandomized: CI runs the same examples every time (a failure reproduces); run with
# --hypothesis-seed=N to explore others.
SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True),
    st.text(max_size=20),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
utterance = st.dictionaries(
    st.sampled_from(["id", "speaker", "start_s", "end_s", "text", "confidence", "words"]),
    json_values,
)
transcript_dicts = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"schema": st.sampled_from(["qa-toolkit/transcript@1", "x"]),
         "utterances": st.one_of(json_values, st.lists(utterance, max_size=4))},
        optional={"call_id": json_values, "language": json_values, "source": json_values,
                  "duration_s": json_values, "engine": json_values},
    ),
)  # fmt: skip


@SETTINGS
@given(transcript_dicts)
def test_transcript_json_parses_or_says_why(data: object) -> None:
    try:
        t = Transcript.from_dict(data, origin="t.json")  # type: ignore[arg-type]
    except TranscriptFormatError as error:
        assert "t.json" in str(error)
        return
    assert isinstance(t, Transcript) and "\n" not in t.call_id


@SETTINGS
@given(st.text(max_size=300))
def test_text_transcripts_parse_or_say_why(text: str) -> None:
    try:
        t = parse_text_transcript(text, call_id="c", origin="c.txt")
    except TranscriptFormatError as error:
        assert "c.txt" in str(error)
        return
    assert t.utterances
    assert not any(ch in u.text for u in t.utterances for ch in "\x1b\x00\x07\x9b")


rubric_docs = st.one_of(
    st.text(max_size=300),
    json_values.map(lambda v: json.dumps(v)),
    st.fixed_dictionaries(
        {"schema": st.just("qa-toolkit/rubric@1"), "id": json_values, "version": json_values,
         "sections": st.lists(st.dictionaries(
             st.sampled_from(["id", "title", "weight", "items"]), json_values), max_size=3)},
        optional={"bands": json_values, "flag_below": json_values, "events": json_values},
    ).map(lambda v: json.dumps(v)),
)  # fmt: skip


@SETTINGS
@given(rubric_docs)
def test_rubrics_parse_or_list_their_problems(text: str) -> None:
    try:
        parse_rubric(text, "r.yaml")
    except RubricError as error:
        assert error.problems and all(p.file == "r.yaml" for p in error.problems)


@SETTINGS
@given(
    st.sampled_from([".csv", ".json", ".jsonl"]),
    st.one_of(st.text(max_size=300), json_values.map(json.dumps)),
)
def test_label_files_load_or_say_why(tmp_path_factory: object, suffix: str, text: str) -> None:
    folder = Path(tmp_path_factory.mktemp("labels"))  # type: ignore[attr-defined]
    path = folder / f"labels{suffix}"
    path.write_text(text, "utf-8")
    try:
        load_labels(path, item_ids=["greeting", "apology"])
    except LabelFileError as error:
        assert "labels" in str(error)
