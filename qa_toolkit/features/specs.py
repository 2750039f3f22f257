"""The name, unit, source and meaning of every call feature: one list, read by code and docs.

Names are a public contract (rubrics' ``metric`` items, classifiers, reports
and stored results read them), so they never change meaning; a new meaning
gets a new name. ``source`` says what a feature needs: ``timing`` (measured
utterance or word times: audio transcripts, hand-built ones), ``text`` (any
transcript), ``audio`` (the decoded recording as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["meta", "text", "timing", "audio"]


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One feature: its stable name, unit, what it needs, and what it measures."""

    name: str
    unit: str
    source: Source
    description: str


def _specs(source: Source, rows: str) -> tuple[FeatureSpec, ...]:
    # One feature per line, "name | unit | description"; an indented line
    # continues the description above it.
    lines: list[str] = []
    for line in rows.strip("\n").splitlines():
        if line.startswith(" ") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    specs = []
    for line in lines:
        name, unit, description = (part.strip() for part in line.split("|"))
        specs.append(FeatureSpec(name, unit, source, description))
    return tuple(specs)


META = _specs(
    "meta",
    """
call_id | text | the call's id
language | code | en, zh, or mixed when both languages hold at least a fifth of the turns
speaker_source | text | channel, diarization or given: how the speakers were told apart
has_timing | bool | utterance times are measured (false for text transcripts)
has_audio | bool | the recording was analysed (acoustic features present)
""",
)

TURNS = _specs(
    "text",
    """
turn_count | turns | utterances with text, any speaker
agent_turns | turns | the agent's utterances
customer_turns | turns | the customer's utterances
hold_request_count | count | agent utterances asking the caller to hold or wait
    ("please hold", 请稍等)
""",
)

TIMING = _specs(
    "timing",
    """
duration_s | s | the call's length: the transcript's duration or first to last word, the longer
talk_s | s | time at least one speaker talks
agent_talk_s | s | time the agent talks
customer_talk_s | s | time the customer talks
agent_talk_share | 0-1 | agent talk over agent plus customer talk
customer_talk_share | 0-1 | customer talk over agent plus customer talk
silence_s | s | time nobody talks between the first and last word
silence_share | 0-1 | silence_s over duration_s
longest_silence_s | s | the longest stretch with nobody talking
dead_air_s | s | silence in gaps of at least min_gap_s (2 s); shorter gaps are turn-taking
dead_air_share | 0-1 | dead_air_s over duration_s
dead_air_count | count | gaps of at least min_gap_s (2 s)
long_silence_count | count | gaps of at least long_silence_s (10 s)
hold_count | count | holds: silence of at least 2 s after an agent's hold phrase, or any gap of
    at least hold_silence_s (30 s)
hold_s | s | total hold time
longest_hold_s | s | the longest hold
overtalk_s | s | time the agent and the customer talk at once
overtalk_count | count | interruptions: a turn that starts while the other side talks and
    overlaps it for at least 0.5 s
agent_overtalk_count | count | interruptions by the agent (the agent starts while the customer
    talks)
customer_overtalk_count | count | interruptions by the customer
agent_overtalk_s | s | overlap of the agent's interruptions
customer_overtalk_s | s | overlap of the customer's interruptions
agent_words_per_min | units/min | the agent's speech rate: English words or Chinese characters
    per minute of the agent's talk
customer_words_per_min | units/min | the customer's speech rate, likewise
first_response_s | s | from the first word of the call to the agent's first word
first_response_latency_s | s | from the end of the customer's first turn to the agent's reply
mean_response_latency_s | s | mean time from the customer stopping to the agent starting
    (overlaps count 0)
max_response_latency_s | s | the slowest agent reply
""",
)

SENTIMENT = _specs(
    "text",
    """
customer_sentiment_mean | -1..1 | the customer's mean utterance polarity
agent_sentiment_mean | -1..1 | the agent's mean utterance polarity
customer_sentiment_min | -1..1 | the customer's most negative utterance
customer_sentiment_start | -1..1 | mean polarity of the customer's first turn (first two from
    four turns on)
customer_sentiment_end | -1..1 | mean polarity of the customer's last turn (last two from four
    turns on)
customer_sentiment_delta | -1..1 | end minus start; unknown with fewer than two customer turns
customer_trend | label | improving / worsening (delta at least 0.2 either way), stable, or unknown
customer_sentiment_q1 | -1..1 | the customer's mean polarity in the first quarter of the call
customer_sentiment_q2 | -1..1 | second quarter
customer_sentiment_q3 | -1..1 | third quarter
customer_sentiment_q4 | -1..1 | last quarter
agent_sentiment_q1 | -1..1 | the agent's mean polarity in the first quarter
agent_sentiment_q2 | -1..1 | second quarter
agent_sentiment_q3 | -1..1 | third quarter
agent_sentiment_q4 | -1..1 | last quarter
customer_negative_turns | count | customer turns with polarity below -0.3
negative_turns_answered | count | of those, turns whose next agent reply is calm (polarity at
    least 0) or empathetic
emotion_match_share | 0-1 | negative_turns_answered over customer_negative_turns
""",
)

ACOUSTIC = _specs(
    "audio",
    """
agent_pitch_hz | Hz | median of the agent's utterance pitches
customer_pitch_hz | Hz | median of the customer's utterance pitches
agent_energy_dbfs | dBFS | median of the agent's utterance loudness
customer_energy_dbfs | dBFS | median of the customer's utterance loudness
agent_max_pitch_z | z | the agent's highest utterance pitch against their own baseline (robust
    z, semitones)
customer_max_pitch_z | z | the customer's, likewise
agent_max_energy_z | z | the agent's loudest utterance against their own baseline (robust z, dB)
customer_max_energy_z | z | the customer's, likewise
agent_agitated_count | count | agent utterances far above the agent's own pitch or energy baseline
customer_agitated_count | count | customer utterances far above the customer's own baseline
""",
)

RISK = _specs(
    "text",
    """
risk_count | count | risk events of any kind
risk_escalation_count | count | the customer asks for a supervisor, to escalate or to complain
risk_cancel_count | count | the customer threatens to cancel or leave
risk_regulator_count | count | the customer threatens a regulator, the media or legal action
risk_abuse_count | count | swearing or insults, either side
risk_blame_count | count | the agent blames the customer
risk_deflect_count | count | the agent passes the customer to another department
""",
)

ALL_SPECS: tuple[FeatureSpec, ...] = META + TURNS + TIMING + SENTIMENT + ACOUSTIC + RISK
_TEXT_VALUED = frozenset({"call_id", "language", "speaker_source", "customer_trend"})

#: Every feature ``CallFeatures.to_dict`` writes, in its order.
FEATURE_KEYS: tuple[str, ...] = tuple(s.name for s in ALL_SPECS)
#: Features with a number value (what a rubric's ``metric`` item can read).
NUMERIC_FEATURES: tuple[str, ...] = tuple(s.name for s in ALL_SPECS if s.name not in _TEXT_VALUED)
#: Features that need measured timing.
TIMING_FEATURES: tuple[str, ...] = tuple(s.name for s in TIMING)
#: Features that need the audio.
ACOUSTIC_FEATURES: tuple[str, ...] = tuple(s.name for s in ACOUSTIC)
