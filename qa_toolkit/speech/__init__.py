"""Speech to a transcript with roles: ASR engines, diarization, role assignment, turns.

- :mod:`~qa_toolkit.speech.transcribe`: :func:`transcribe`, one call's audio to a transcript;
- :mod:`~qa_toolkit.speech.asr`: the engines (faster-whisper, openai-whisper, transformers)
  and the offline model resolution;
- :mod:`~qa_toolkit.speech.diarize` and :mod:`~qa_toolkit.speech.roles`: who spoke, and who
  is the agent;
- :mod:`~qa_toolkit.speech.turns`: segments split at word gaps and merged into turns.
"""
