"""Input written by someone else, or by mistake: ids that look like paths, markup, alias bombs,
JSON nested a hundred thousand deep, folders where files belong, files that are not stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli import qa
from qa_toolkit.errors import LabelFileError, RubricError, TranscriptFormatError
from qa_toolkit.io.names import safe_stem
from qa_toolkit.io.transcripts import load_transcript
from qa_toolkit.rubric import parse_rubric

from .review_helpers import add_call, store_at

ROOT = Path(__file__).resolve().parents[1]


def _transcript_json(call_id: str) -> str:
    turns = [{"speaker": "agent", "text": "hello"}, {"speaker": "customer", "text": "hi"}]
    return json.dumps(
        {"schema": "qa-toolkit/transcript@1", "call_id": call_id, "utterances": turns}
    )


@pytest.mark.parametrize("call_id", ["../../escaped", "/tmp/absolute-escape", "a/../../b", ".."])
def test_a_call_id_never_writes_outside_the_out_folder(tmp_path: Path, call_id: str) -> None:
    calls = tmp_path / "in"
    calls.mkdir()
    (calls / "one.json").write_text(_transcript_json(call_id), "utf-8")
    (calls / "two.json").write_text(_transcript_json("plain"), "utf-8")
    out = tmp_path / "out" / "x"
    result = CliRunner().invoke(qa, ["transcribe", str(calls), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and calls not in p.parents]
    assert written and all(p.parent == out for p in written), written
    assert (out / f"{safe_stem(call_id)}.json").is_file() and (out / "plain.json").is_file()
    assert not Path("/tmp/absolute-escape.json").exists()


def test_safe_stem_keeps_ids_apart_and_plain_ids_unchanged() -> None:
    assert safe_stem("polite_resolved") == "polite_resolved"
    odd = ["../x", "..x", "x/..", "<svg onload=alert(1)>", "a\nb", "", "."]
    stems = [safe_stem(i) for i in odd]
    assert len(set(stems)) == len(odd)
    assert all(s and "/" not in s and not s.startswith(".") for s in stems)


def test_a_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(RubricError) as caught:
        parse_rubric("\n".join(lines) + "\n", "bomb.yaml")
    assert "more than 100,000 values" in str(caught.value)
    with pytest.raises(RubricError, match="characters"):
        parse_rubric("# " + "x" * 1_000_001, "huge.yaml")


def test_json_nested_too_deeply_is_a_clear_error(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.json").write_text(deep, "utf-8")
    with pytest.raises(TranscriptFormatError, match="nested too deeply"):
        load_transcript(tmp_path / "deep.json")
    from qa_toolkit.calibrate.labels import load_labels

    with pytest.raises(LabelFileError, match="nested too deeply"):
        load_labels(tmp_path / "deep.json")
    rubric = str(ROOT / "rubrics" / "default.yaml")
    for args in (["score", str(tmp_path / "deep.json"), "-r", rubric],
                 ["analyze", str(tmp_path / "deep.json")],
                 ["redact", str(tmp_path / "deep.json")]):  # fmt: skip
        result = CliRunner().invoke(qa, args)
        assert result.exit_code == 1, (args, result.output)
        assert "nested too deeply" in result.stderr and "Traceback" not in result.output


def test_export_to_a_folder_and_from_a_non_store_are_usage_errors(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        add_call(store, "c1")
    db = str(tmp_path / "qa.db")
    to_folder = CliRunner().invoke(qa, ["export", "--store", db, "--format", "csv", "--out", "."])
    assert to_folder.exit_code == 2 and "is a folder" in to_folder.stderr
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = CliRunner().invoke(qa, ["export", "--store", str(empty), "--format", "csv"])
    assert result.exit_code == 1 and "is not a qa-toolkit store" in result.stderr
    assert empty.read_bytes() == b""  # not turned into a store


@pytest.mark.parametrize("pattern", ["(\\\\w+\\\\s?)+x$", "^(a+)+$", "(a*)*b"])
def test_a_pattern_that_backtracks_for_ever_is_refused(pattern: str) -> None:
    item = '{id: a, detector: regex.v1, points: 1, pattern: "' + pattern + '"}'
    text = (
        "schema: qa-toolkit/rubric@1\nid: r\nversion: 1\nsections:\n"
        f"  - id: s\n    items:\n      - {item}\n"
    )
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, "r.yaml")
    assert "repeats a group that itself repeats" in str(caught.value)
    fine = text.replace(pattern, "(refund|credit(ed)?)+ now")
    assert parse_rubric(fine, "r.yaml").items[0].id == "a"


def test_a_huge_turn_is_read_in_pieces_for_sentiment() -> None:
    from qa_toolkit.nlp import sentiment

    angry = "This is terrible, I am furious and I want my money back. " * 4000  # ~230 KB
    pieces = sentiment._pieces(angry)
    assert len(pieces) > 100 and max(len(p) for p in pieces) <= sentiment._CHUNK_CHARS + 100
    assert "".join(pieces).replace(" ", "") == angry.replace(" ", "")
    assert sentiment.polarity(angry) == pytest.approx(sentiment.polarity(angry[:1000]), abs=0.1)
    assert sentiment.polarity(angry) < -0.3


def test_terminal_escapes_and_newlines_in_ids_are_dropped(tmp_path: Path) -> None:
    from qa_toolkit.io.transcripts import parse_text_transcript
    from qa_toolkit.types import Transcript

    text = "agent: hello \x1b]0;pwned\x07\x1b[31mred\x1b[0m\ncustomer: hi\x00 there\n"
    t = parse_text_transcript(text, call_id="c")
    assert t.utterances[0].text == "hello ]0;pwned[31mred[0m"
    assert t.utterances[1].text == "hi there"
    data = json.loads(_transcript_json("line one\nline two\x1b[2J"))
    assert Transcript.from_dict(data).call_id == "line one line two[2J"
    # Shown on a terminal, nothing of it is an escape any more.
    (tmp_path / "c.txt").write_text(text, "utf-8")
    shown = CliRunner().invoke(qa, ["score", str(tmp_path / "c.txt"), "-r",
                                    str(ROOT / "rubrics" / "default.yaml")])  # fmt: skip
    assert "\x1b" not in shown.output


def test_a_day_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    from qa_toolkit.errors import UsageError
    from qa_toolkit.store import Filters

    with pytest.raises(UsageError, match="is not a day"):
        Filters(date="2026-13-45")
    with pytest.raises(UsageError):
        Filters.of(since="yesterday")
    with store_at(tmp_path) as store:
        add_call(store, "c1")
    result = CliRunner().invoke(qa, ["flagged", "-s", str(tmp_path / "qa.db"), "--date",
                                     "2026-02-30"])  # fmt: skip
    assert result.exit_code == 2 and "is not a day" in result.stderr
    pytest.importorskip("flask")
    from qa_toolkit.web import create_app

    client = create_app(tmp_path / "qa.db").test_client()
    assert client.get("/?since=2026-13-45").status_code == 400
    assert client.get("/?since=2026-11-21").status_code == 200


def test_label_files_with_impossible_scores_or_ragged_rows_say_which_row(tmp_path: Path) -> None:
    from qa_toolkit.calibrate.labels import load_labels

    bad_score = tmp_path / "scores.csv"
    bad_score.write_text("call_id,score,greeting\nc1,80,pass\nc2,-500,fail\n", "utf-8")
    with pytest.raises(LabelFileError) as caught:
        load_labels(bad_score, item_ids=["greeting"])
    assert "row 2: score = -500 is outside 0–100" in str(caught.value)
    short = tmp_path / "short.csv"
    short.write_text("call_id,score,greeting\nc1,80,pass\nc2,70\nc3,60,pass,extra\n", "utf-8")
    with pytest.raises(LabelFileError) as caught:
        load_labels(short, item_ids=["greeting"])
    assert "row 2: 2 of 3 columns" in str(caught.value)
    assert "row 3: 3 of 3 columns and more values than columns" in str(caught.value)


def test_a_number_read_out_over_two_turns_is_redacted_in_both() -> None:
    from qa_toolkit.privacy import redact
    from qa_toolkit.types import Transcript, Utterance, Word

    def said(uid: str, who: str, start: float, text: str) -> Utterance:
        words = tuple(
            Word(w, start + n * 0.3, start + n * 0.3 + 0.25) for n, w in enumerate(text.split())
        )
        return Utterance(uid, who, start, start + 0.3 * len(words), text, words=words)  # type: ignore[arg-type]

    call = Transcript("c", (
        said("u1", "customer", 0.0, "my card is 4111 1111"),
        said("u2", "agent", 2.0, "go on"),
        said("u3", "customer", 3.0, "1111 1111 thanks"),
        said("u4", "customer", 6.0, "call me on 415 555"),
        said("u5", "customer", 8.0, "2671 please"),
        said("u6", "customer", 9.0, "order 12"),
        said("u7", "customer", 10.0, "34 arrived"),
    ))  # fmt: skip
    out = {u.id: u for u in redact(call).utterances}
    assert out["u1"].text == "my card is [CARD]" and out["u3"].text == "[CARD] thanks"
    assert out["u4"].text == "call me on [PHONE]" and out["u5"].text == "[PHONE] please"
    assert [w.text for w in out["u1"].words] == ["my", "card", "is", "[CARD]"]
    assert [w.text for w in out["u3"].words] == ["[CARD]", "thanks"]
    assert out["u3"].words[0].start_s == 3.0 and out["u3"].words[0].end_s == pytest.approx(3.55)
    # Digits that are no personal data together stay as said.
    assert out["u6"].text == "order 12" and out["u7"].text == "34 arrived"
    assert out["u2"].text == "go on"


def test_a_dangling_link_is_reported_not_skipped(tmp_path: Path) -> None:
    from qa_toolkit.batch import BatchOptions, run_batch
    from qa_toolkit.io.discover import find_calls

    day = tmp_path / "day"
    day.mkdir()
    (day / "ok.txt").write_text("agent: hello\ncustomer: thanks, bye\n", "utf-8")
    (day / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    assert [c.call_id for c in find_calls([day])] == ["gone", "ok"]
    rubric = ROOT / "rubrics" / "default.yaml"
    result = run_batch([day], rubric, store=tmp_path / "qa.db", options=BatchOptions())
    status = {o.call_id: (o.status, o.reason) for o in result.outcomes}
    assert status["ok"][0] == "done" and status["gone"][0] == "failed"
    assert "gone.txt" in status["gone"][1]


def test_agent_and_team_pages_take_any_printable_name(tmp_path: Path) -> None:
    pytest.importorskip("flask")
    from qa_toolkit.web import create_app

    with store_at(tmp_path) as store:
        add_call(store, "c1", team="<b>night</b> & co", agent_id="a<7>")
    client = create_app(tmp_path / "qa.db").test_client()
    for url in ("/team/<b>night</b> & co", "/agent/a<7>"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert b"<b>night</b>" not in page.data
    assert client.get("/agent/a%0Ab").status_code in (400, 404)  # never a 500


def test_redaction_reaches_every_stored_copy_and_purge_leaves_no_raw_text(tmp_path: Path) -> None:
    from qa_toolkit.batch import BatchOptions, run_batch
    from qa_toolkit.store import Store

    card = "4111 1111 1111 1111"
    day = tmp_path / "day"
    day.mkdir()
    (day / "c1.txt").write_text(
        "agent: Thank you for calling Acme, my name is Sam.\n"
        f"customer: My card {card} was charged twice and I am furious.\n"
        "agent: I'm sorry about that, I have refunded the second charge.\n"
        f"customer: Thanks, the card {card} works now.\n",
        "utf-8",
    )
    store = tmp_path / "qa.db"
    rubric = ROOT / "rubrics" / "default.yaml"

    def raw_bytes() -> bool:
        files = [store, store.with_name("qa.db-wal")]
        return any(card.encode() in f.read_bytes() for f in files if f.exists())

    def stored_texts() -> str:
        with Store(store) as st:
            rows = st.conn.execute(
                "SELECT body FROM scores UNION ALL SELECT evidence FROM item_results "
                "UNION ALL SELECT body FROM transcripts UNION ALL SELECT body FROM features"
            ).fetchall()
        return " ".join(json.loads(json.dumps(r[0])) for r in rows)

    run_batch([day], rubric, store=store, options=BatchOptions(store_unredacted=True))
    assert card in stored_texts()
    # A later redacted run masks the transcript in place, and the older score's evidence too.
    run_batch([day], rubric, store=store, options=BatchOptions())
    assert card not in stored_texts() and "[CARD]" in stored_texts()
    with Store(store) as st:
        assert len(st.scores(latest=False)) == 2
    result = CliRunner().invoke(qa, ["purge", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert not raw_bytes()


def test_a_transcript_redacted_under_older_rules_is_redacted_again(tmp_path: Path) -> None:
    """A store redacted before names were found gets them redacted by the next batch."""
    from qa_toolkit.batch import BatchOptions, run_batch
    from qa_toolkit.store import Store

    day = tmp_path / "day"
    day.mkdir()
    (day / "c1.txt").write_text(
        "agent: Thank you for calling, who am I speaking with?\n"
        "customer: This is Violet King, about my bill.\n",
        "utf-8",
    )
    store = tmp_path / "qa.db"
    rubric = ROOT / "rubrics" / "default.yaml"
    run_batch([day], rubric, store=store, options=BatchOptions(acoustics=False))
    with Store(store) as st:  # as an older toolkit left it: the name raw, numbers masked
        body = st.conn.execute("SELECT body FROM transcripts").fetchone()[0]
        raw = body.replace("[NAME]", "Violet King")
        st.conn.execute("UPDATE transcripts SET body = ?, redaction = ?",
                        (raw, "privacy.redact/0.1.0"))  # fmt: skip
        st.conn.commit()
    run_batch([day], rubric, store=store, options=BatchOptions(acoustics=False))
    with Store(store) as st:
        body, redaction = st.conn.execute("SELECT body, redaction FROM transcripts").fetchone()
    assert "Violet" not in body and "[NAME]" in body and redaction.endswith("/r2")


def test_a_resumed_run_says_its_transcripts_came_from_the_store(tmp_path: Path) -> None:
    from qa_toolkit.batch import BatchOptions, run_batch, summary_lines

    from .batch_helpers import rubric_v

    day = tmp_path / "day"
    day.mkdir()
    for n in range(3):
        (day / f"c{n}.txt").write_text(f"agent: hello, call {n}\ncustomer: thanks, bye\n", "utf-8")
    store = tmp_path / "qa.db"
    first = run_batch([day], ROOT / "rubrics" / "default.yaml", store=store,
                      options=BatchOptions())  # fmt: skip
    assert "3 processed, 0 already done" in next(iter(summary_lines(first)))
    # The transcripts are stored, the scores are not (a new rubric version): processed again,
    # and the summary says the speech was not.
    again = run_batch([day], rubric_v(tmp_path, 99), store=store, options=BatchOptions())
    assert all(o.transcript_reused for o in again.outcomes)
    assert "3 processed (3 from stored transcripts)" in next(iter(summary_lines(again)))


def test_a_call_past_its_time_budget_fails_alone(tmp_path: Path) -> None:
    import threading
    import time

    from qa_toolkit.batch import BatchOptions, run_batch
    from qa_toolkit.batch.budget import CallTimeout, time_budget

    with pytest.raises(CallTimeout, match="spinning took longer than the per-call budget"):
        with time_budget(0.2, "spinning"):
            while True:
                time.sleep(0.01)
    # Outside the main thread there is no timer to interrupt with: no budget, no error.
    done: list[bool] = []
    worker = threading.Thread(target=lambda: done.append(bool(_sleep_in_budget(0.05, 0.1))))
    worker.start()
    worker.join()
    assert done == [True]

    day = tmp_path / "day"
    day.mkdir()
    (day / "a_short.txt").write_text("agent: hello\ncustomer: thanks, bye\n", "utf-8")
    rambling = "I am not happy with the service and I want it fixed today. " * 12000
    (day / "b_long.txt").write_text(f"agent: hello\ncustomer: {rambling}\n", "utf-8")
    options = BatchOptions(call_budget_s=6.0)
    result = run_batch([day], ROOT / "rubrics" / "default.yaml", store=tmp_path / "qa.db",
                       options=options)  # fmt: skip
    status = {o.call_id: o for o in result.outcomes}
    assert status["a_short"].status == "done"
    assert status["b_long"].status == "failed" and status["b_long"].stage == "score"
    assert "per-call budget of 6 s" in status["b_long"].reason


def _sleep_in_budget(budget: float, seconds: float) -> bool:
    import time

    from qa_toolkit.batch.budget import time_budget

    with time_budget(budget, "sleeping"):
        time.sleep(seconds)
    return True


def test_truncated_and_impossible_wav_headers_are_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import struct

    from qa_toolkit.errors import AudioError
    from qa_toolkit.io.audio import load_audio

    data = (ROOT / "samples" / "polite_resolved.wav").read_bytes()
    (tmp_path / "half.wav").write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="qa_toolkit.io.audio"):
        half = load_audio(tmp_path / "half.wav")
        load_audio(ROOT / "samples" / "polite_resolved.wav")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "half.wav" in warnings[0] and "truncated" in warnings[0]
    assert "promises 38.1 s" in warnings[0] and half.duration_s == pytest.approx(19.1, abs=0.1)
    one_hz = bytearray(data)
    struct.pack_into("<I", one_hz, 24, 1)  # the fmt chunk's sample rate
    (tmp_path / "one_hz.wav").write_bytes(bytes(one_hz))
    with pytest.raises(AudioError, match="sample rate is 1 Hz, too low to hold speech"):
        load_audio(tmp_path / "one_hz.wav")
