"""The package's promises: a light import and a public API that resolves."""

from __future__ import annotations

import subprocess
import sys

import qa_toolkit


def test_package_import_is_light() -> None:
    code = (
        "import sys, qa_toolkit, qa_toolkit.cli, qa_toolkit.speech.transcribe\n"
        "heavy = [m for m in ('torch', 'ctranslate2', 'transformers', 'faster_whisper', "
        "'whisper', 'resemblyzer', 'librosa') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_package_public_api_resolves() -> None:
    for name in qa_toolkit.__all__:
        assert getattr(qa_toolkit, name) is not None, name
    assert callable(qa_toolkit.transcribe)
