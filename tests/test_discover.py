"""Finding calls in folders: pairing one-file-per-side recordings, skipping non-calls."""

from __future__ import annotations

from pathlib import Path

from qa_toolkit.io.discover import find_calls


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_discover_pairs_sides_and_keeps_single_files(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "day/c1.agent.wav",
        "day/c1.customer.wav",
        "day/c2_agent.flac",
        "day/c2_caller.flac",
        "day/c3.mp3",
        "day/chat.txt",
        "day/c3.truth.json",
        "day/README.md",
        "day/.hidden.wav",
        "day/sub/agent.wav",
        "day/sub/customer.wav",
        "day/lonely.agent.wav",
    )
    calls = find_calls([tmp_path / "day"])
    by_id = {c.call_id: c for c in calls}
    assert set(by_id) == {"c1", "c2", "c3", "chat", "sub", "lonely.agent"}
    assert by_id["c1"].agent == tmp_path / "day/c1.agent.wav"
    assert by_id["c1"].customer == tmp_path / "day/c1.customer.wav"
    assert by_id["c2"].customer == tmp_path / "day/c2_caller.flac"
    assert by_id["sub"].agent == tmp_path / "day/sub/agent.wav"
    assert by_id["chat"].is_transcript and not by_id["c3"].is_transcript
    assert by_id["lonely.agent"].path is not None  # one side alone is still processed


def test_discover_explicit_missing_file_is_kept_for_reporting(tmp_path: Path) -> None:
    calls = find_calls([tmp_path / "missing.wav"])
    assert [c.call_id for c in calls] == ["missing"]


def test_discover_duplicates_listed_once(tmp_path: Path) -> None:
    _touch(tmp_path, "a.wav")
    assert len(find_calls([tmp_path / "a.wav", tmp_path / "a.wav", tmp_path])) == 1
