"""The progress display: draws only when asked, reports failures either way."""

from __future__ import annotations

import io

from qa_toolkit.progress import ProgressDisplay


def test_progress_draws_on_a_terminal_stream() -> None:
    stream = io.StringIO()
    with ProgressDisplay(enabled=True, calls=2, stream=stream, force=True) as display:
        display.start_call("c1")
        display.callback("transcribe agent", 5.0, 10.0)
        display.done_call()
        display.start_call("c2")
        display.error("c2.wav: is empty (0 bytes)")
    out = stream.getvalue()
    assert "failed" in out and "c2.wav: is empty" in out


def test_progress_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressDisplay(enabled=True, calls=1, stream=stream) as display:
        display.start_call("c1")
        display.callback("transcribe", 1.0, 2.0)
        display.done_call()
    assert stream.getvalue() == ""
    with ProgressDisplay(enabled=True, calls=1, stream=stream) as display:
        display.error("c1.wav: no such file")
    assert stream.getvalue() == "failed: c1.wav: no such file\n"
