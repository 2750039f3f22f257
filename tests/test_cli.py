"""The command line, run in-process: outputs, formats, exit codes, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli import qa

from .conftest import SAMPLES


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(qa, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_text_transcript_to_json() -> None:
    code, out, _ = _run("transcribe", str(SAMPLES / "chat_zh.txt"))
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "qa-toolkit/transcript@1" and data["call_id"] == "chat_zh"
    assert data["utterances"][0]["speaker"] in ("agent", "customer")


def test_cli_formats_and_out_file(tmp_path: Path) -> None:
    code, out, _ = _run("transcribe", str(SAMPLES / "chat_en.txt"), "--format", "srt")
    assert code == 0 and out.startswith("1\n00:00:00,000 --> ")
    target = tmp_path / "chat.txt"
    code, out, _ = _run("transcribe", str(SAMPLES / "chat_en.txt"), "-f", "text", "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_text("utf-8").startswith("[00:00] ")


def test_cli_missing_file_one_line_exit_1(tmp_path: Path) -> None:
    code, out, err = _run("transcribe", str(tmp_path / "gone.wav"))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"Error: {tmp_path / 'gone.wav'}: no such file; check the path"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty (0 bytes)"), (b"RIFF\x00\x00garbage" * 50, "cannot be decoded")],
)
def test_cli_bad_audio_one_line_exit_1(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    code, _, err = _run("transcribe", str(bad), "-m", "tiny.en")
    assert code == 1 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_unknown_model_names_the_fix(tmp_path: Path) -> None:
    code, _, err = _run(
        "transcribe", str(SAMPLES / "zh_escalation_mono.wav"), "-m", str(tmp_path / "no-model")
    )
    assert code == 1 and "does not exist" in err and "qa models" in err


def test_cli_usage_errors_exit_2() -> None:
    code, _, err = _run("transcribe", "--agent", "a.wav")
    assert code == 2 and "both --agent and --customer" in err
    code, _, _ = _run("transcribe")
    assert code == 2


@pytest.mark.slow
def test_cli_folder_with_one_bad_file_transcribes_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "day"
    folder.mkdir()
    shutil.copy(SAMPLES / "escalation_mono.wav", folder / "good.wav")
    shutil.copy(SAMPLES / "chat_en.txt", folder / "chat.txt")
    (folder / "broken.wav").write_bytes(b"not audio at all" * 100)
    out_dir = tmp_path / "out"
    code, _, err = _run("transcribe", str(folder), "-m", "tiny.en", "-o", str(out_dir))
    assert code == 1  # some inputs failed
    assert "broken.wav" in err and "cannot be decoded" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["chat.json", "good.json"]
    good = json.loads((out_dir / "good.json").read_text("utf-8"))
    assert good["speaker_source"] == "diarization" and good["utterances"]


def test_cli_folder_jsonl_on_stdout(tmp_path: Path) -> None:
    for name in ("chat_en.txt", "chat_zh.txt"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    code, out, _ = _run("--quiet", "transcribe", str(tmp_path))
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    assert [json.loads(line)["call_id"] for line in lines] == ["chat_en", "chat_zh"]


def test_cli_models_lists_packaged_models() -> None:
    code, out, _ = _run("models", "--format", "json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["tiny.en"]["origin"] == "package" and rows["base"]["origin"] == "package"
    assert Path(rows["base"]["path"], "model.bin").exists()
