"""From speaker turns to roles: which segment is whose, and which voice is the agent.

:func:`split_by_speaker` gives each ASR segment the speaker cluster of its
words, cutting it where the speaker changes. :func:`assign_roles` then names
the clusters, since diarization finds voices, not roles. Agents follow a script
(a greeting with the company's name, "how can I help", hold etiquette, a
closing), customers describe their own problem ("my account", "I'm calling
about", 我要投诉), and agents usually speak first. Each cue found adds its weight to its speaker's
agent or customer score; the speaker with the highest agent-minus-customer
score is the agent, and the margin between the two best sets the confidence.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa_toolkit.speech.asr.base import AsrSegment
from qa_toolkit.speech.turns import join_words
from qa_toolkit.types import Speaker, Word

__all__ = ["RoleAssignment", "SpeakerTurn", "assign_roles", "split_by_speaker"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """A stretch of speech by one speaker cluster (ids start at 0, in order of first speech)."""

    start_s: float
    end_s: float
    speaker: int

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


@dataclass(frozen=True, slots=True)
class _Cue:
    """A phrase that points to a role, with its weight and the name shown in reasons."""

    name: str
    pattern: re.Pattern[str]
    role: Speaker
    weight: float


def _cues(role: Speaker, table: Sequence[tuple[str, str, float]]) -> tuple[_Cue, ...]:
    return tuple(_Cue(name, re.compile(pattern), role, weight) for name, pattern, weight in table)


# Weights: 3 for phrases only one side says in practice (scripted greetings,
# hold and closing lines; "I'm calling about"), 2 for strong but shared ones,
# 1 for hints both sides use. English patterns run on lower-cased text with
# curly apostrophes straightened, so ASR casing does not matter.
_AGENT_EN = _cues(
    "agent",
    (
        ("thank you for calling", r"\bthanks? (you )?for (calling|contacting)\b", 3.0),
        ("welcome to", r"\bwelcome to\b", 2.0),
        ("how can I help", r"\bhow (can|may|could) i (help|assist)\b", 3.0),
        ("what can I do for you", r"\bwhat can i do for you\b", 3.0),
        ("is there anything else", r"\b(is there )?anything else i can (help|do|assist)\b", 3.0),
        ("please hold", r"\b(please hold|put you on (a brief )?hold|bear with me)\b", 3.0),
        ("thank you for holding", r"\bthanks? (you )?for (holding|waiting|your patience)\b", 3.0),
        ("may I have your", r"\b(may|can|could) i (have|get) your\b", 2.0),
        ("verify your", r"\b(verify|confirm) (your|the account)\b", 2.0),
        ("I apologize for the inconvenience", r"\bapologi[sz]e for (the|any) inconvenience\b", 2.0),
        ("let me check", r"\blet me (check|look|pull up|see)\b", 1.0),
        ("my name is", r"\bmy name is\b", 1.0),
        ("have a nice day", r"\bhave a (great|good|nice|wonderful) (day|evening|one)\b", 1.0),
    ),
)
_CUSTOMER_EN = _cues(
    "customer",
    (
        ("I'm calling about", r"\b(i'?m|i am) calling (about|regarding|because|to)\b", 3.0),
        ("I want to", r"\bi (want|wanna|need) to\b", 1.0),
        ("I'd like to", r"\bi'?d like to\b", 1.0),
        ("my account", r"\bmy (account|order|bill|card|payment|package|car|phone|internet)\b", 2.0),
        ("manager", r"\b(manager|supervisor)\b", 2.0),
        ("complaint", r"\b(complaint|complain|unacceptable|ridiculous)\b", 2.0),
        ("I've been waiting", r"\bi'?ve been (waiting|charged|trying)\b", 2.0),
        ("I have a problem", r"\bi (have|had|got) (a|an) (problem|issue|question)\b", 2.0),
        ("you people", r"\byou (people|guys)\b", 2.0),
        ("refund", r"\b(refund|cancel my|money back)\b", 1.0),
        ("not working", r"\b(isn'?t|is not|not|stopped) working\b", 1.0),
    ),
)
# Chinese patterns run on simplified text.
_AGENT_ZH = _cues(
    "agent",
    (
        ("欢迎致电", r"欢迎(致电|来电|使用)", 3.0),
        ("很高兴为您服务", r"很高兴为您服务", 3.0),
        ("有什么可以帮您", r"(有什么|什么)(可以|能)(帮|为)(您|你)", 3.0),
        ("工号", r"工号", 3.0),
        ("请稍等", r"(请|麻烦)(您)?稍等|稍等(一下|片刻)", 2.0),
        ("还有什么可以帮您", r"还有(什么|其他|别的)(问题|可以|需要)", 3.0),
        ("感谢您的来电", r"感谢(您的)?来电|感谢您的耐心", 3.0),
        ("核实", r"核实|核对一下", 2.0),
        ("您好", r"您好", 1.0),
        ("为您", r"为您|帮您", 1.0),
    ),
)
_CUSTOMER_ZH = _cues(
    "customer",
    (
        ("我要投诉", r"我要投诉|我想投诉", 3.0),
        ("投诉", r"投诉", 1.0),
        ("我的", r"我的", 1.0),
        ("我想", r"我(想|要|需要)", 1.0),
        ("你们", r"你们", 2.0),
        ("经理", r"(经理|主管|领导)", 2.0),
        ("怎么回事", r"怎么回事|凭什么|为什么还没", 2.0),
        ("退款", r"退款|退货|退钱", 1.0),
        ("我打电话", r"我(打电话|打过来|来电)", 2.0),
    ),
)

# The first speaker is usually the agent (inbound calls open with the greeting),
# worth less than one scripted phrase so that what is said outweighs it.
_FIRST_SPEAKER_WEIGHT = 1.5
# A cue repeated adds again, up to this many times: a long call must not win
# on one habit repeated ("let me check" twenty times).
_MAX_REPEATS = 2
# Confidence = 1 - exp(-margin / _MARGIN_SCALE): one scripted phrase plus the
# opening gives about 0.7, no cue but the opening about 0.3.
_MARGIN_SCALE = 4.0
# A lone speaker is called agent or customer only past this net score.
_SINGLE_SPEAKER_MIN = 3.0
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """Which cluster is which role, and why.

    Attributes:
        roles: ``(cluster, role)`` pairs, one per cluster seen, in cluster order.
        confidence: 0..1, from the margin between the agent's score and the
            runner-up's; 0 when nothing told them apart.
        reasons: the cues that decided, as short sentences.
    """

    roles: tuple[tuple[int, Speaker], ...]
    confidence: float
    reasons: tuple[str, ...] = ()

    def roles_dict(self) -> dict[int, Speaker]:
        """The roles as ``{cluster: role}``."""
        return dict(self.roles)


def assign_roles(
    lines: Sequence[tuple[int, float, str]], *, language: str | None = None
) -> RoleAssignment:
    """Decide which speaker cluster is the agent and which the customer.

    Args:
        lines: ``(cluster, start_s, text)`` for each utterance, any order.
        language: ``"en"`` or ``"zh"`` to use only that language's cues;
            ``None`` uses Chinese cues on lines with Chinese characters and
            English cues on the rest.

    Returns:
        The role of every cluster. With two or more clusters the best agent
        score is the agent, the most customer-like other cluster the customer,
        and any further cluster agent, customer or unknown by its own cues. A
        lone speaker is unknown unless its cues are strong.

    Example:
        >>> result = assign_roles([(1, 0.5, "Thank you for calling, how can I help?"),
        ...                        (0, 3.0, "Hi, I'm calling about my bill.")])
        >>> result.roles_dict()
        {0: 'customer', 1: 'agent'}
    """
    ordered = sorted(lines, key=lambda line: line[1])
    if not ordered:
        return RoleAssignment((), 0.0, ("no lines to judge",))
    scores, reasons = _score(ordered, language)
    clusters = sorted(scores)
    net = {c: scores[c][0] - scores[c][1] for c in clusters}
    if len(clusters) == 1:
        return _single(clusters[0], net[clusters[0]], reasons)
    # Ties go to the earlier speaker: clusters are ranked by net score, then by
    # who spoke first.
    first_time = {c: min(t for s, t, _ in ordered if s == c) for c in clusters}
    ranked = sorted(clusters, key=lambda c: (-net[c], first_time[c]))
    agent, customer = ranked[0], ranked[-1]
    roles: dict[int, Speaker] = {agent: "agent", customer: "customer"}
    for other in ranked[1:-1]:
        roles[other] = _role_of(net[other])
    margin = net[agent] - max(net[c] for c in clusters if c != agent)
    confidence = 1.0 - math.exp(-max(0.0, margin) / _MARGIN_SCALE)
    logger.debug("role scores %s, agent %d, margin %.1f", net, agent, margin)
    return RoleAssignment(
        tuple(sorted(roles.items())), round(confidence, 3), tuple(_top_reasons(reasons, roles))
    )


def _score(
    lines: Sequence[tuple[int, float, str]], language: str | None
) -> tuple[dict[int, list[float]], list[tuple[float, int, str]]]:
    """Agent and customer scores per cluster, and (weight, cluster, reason) for each cue found."""
    scores: dict[int, list[float]] = {}
    counts: dict[tuple[int, str], int] = {}
    reasons: list[tuple[float, int, str]] = []
    for speaker, start_s, text in lines:
        scores.setdefault(speaker, [0.0, 0.0])
        cues, normalised = _prepare(text, language)
        for cue in cues:
            hits = [m.group(0) for m in cue.pattern.finditer(normalised)]
            seen = counts.get((speaker, cue.name), 0)
            used = min(len(hits), _MAX_REPEATS - seen)
            if used <= 0:
                continue
            counts[(speaker, cue.name)] = seen + used
            scores[speaker][0 if cue.role == "agent" else 1] += cue.weight * used
            if seen == 0:
                said = f"speaker {speaker} said '{hits[0]}' at {start_s:.1f} s ({cue.role} cue)"
                reasons.append((cue.weight, speaker, said))
    opener = lines[0][0]
    scores[opener][0] += _FIRST_SPEAKER_WEIGHT
    reasons.append((_FIRST_SPEAKER_WEIGHT, opener, f"speaker {opener} spoke first"))
    return scores, reasons


def _prepare(text: str, language: str | None) -> tuple[tuple[_Cue, ...], str]:
    """The cue tables that apply to one line, and the line in the form they expect."""
    if language is not None:
        chinese = language.lower().startswith("zh")
    else:
        chinese = bool(_CJK.search(text))
    if chinese:
        import zhconv

        return _AGENT_ZH + _CUSTOMER_ZH, str(zhconv.convert(text, "zh-hans"))
    return _AGENT_EN + _CUSTOMER_EN, re.sub(r"\s+", " ", text.lower().replace("\u2019", "'"))


def _role_of(net: float) -> Speaker:
    """The role of a cluster judged on its own cues."""
    if net >= _SINGLE_SPEAKER_MIN:
        return "agent"
    if net <= -_SINGLE_SPEAKER_MIN:
        return "customer"
    return "unknown"


def _single(cluster: int, net: float, reasons: list[tuple[float, int, str]]) -> RoleAssignment:
    """A one-speaker call: a role only when the cues are strong."""
    # Speaking first means nothing when nobody else speaks.
    net -= _FIRST_SPEAKER_WEIGHT
    role = _role_of(net)
    kept = [r for r in reasons if not r[2].endswith("spoke first")]
    confidence = 0.0 if role == "unknown" else 1.0 - math.exp(-abs(net) / _MARGIN_SCALE)
    return RoleAssignment(
        ((cluster, role),), round(confidence, 3), tuple(_top_reasons(kept, {cluster: role}))
    )


def _top_reasons(
    reasons: list[tuple[float, int, str]], roles: dict[int, Speaker], limit: int = 6
) -> list[str]:
    """The strongest reasons first, each once, ending with the decision."""
    ranked = sorted(reasons, key=lambda r: -r[0])[:limit]
    decision = ", ".join(f"speaker {c} is {role}" for c, role in sorted(roles.items()))
    return [r[2] for r in ranked] + [decision]


def split_by_speaker(
    segments: Sequence[AsrSegment], turns: Sequence[SpeakerTurn]
) -> tuple[tuple[int, AsrSegment], ...]:
    """Give each ASR segment a speaker, splitting it where the speaker changes.

    A word belongs to the turn that overlaps it most (the nearest turn when none
    overlaps); consecutive words of one speaker stay one segment, its text
    rebuilt from the words. A segment without words goes whole to the turn that
    overlaps it most. With no turns at all, every segment is speaker 0.

    Args:
        segments: ASR segments in time order.
        turns: speaker turns from :func:`diarize` (or any source).

    Returns:
        ``(speaker, segment)`` pairs in time order.
    """
    out: list[tuple[int, AsrSegment]] = []
    for segment in segments:
        if not turns:
            out.append((0, segment))
        elif not segment.words:
            out.append((_speaker_at(segment.start_s, segment.end_s, turns), segment))
        else:
            out.extend(_split_segment(segment, turns))
    return tuple(out)


def _speaker_at(start_s: float, end_s: float, turns: Sequence[SpeakerTurn]) -> int:
    """The speaker of the turn overlapping [start_s, end_s] most, or of the nearest turn."""
    best = max(turns, key=lambda t: min(end_s, t.end_s) - max(start_s, t.start_s))
    if min(end_s, best.end_s) - max(start_s, best.start_s) > 0:
        return best.speaker
    middle = (start_s + end_s) / 2
    nearest = min(turns, key=lambda t: max(t.start_s - middle, middle - t.end_s, 0.0))
    return nearest.speaker


def _split_segment(
    segment: AsrSegment, turns: Sequence[SpeakerTurn]
) -> list[tuple[int, AsrSegment]]:
    """Cut one segment into runs of words by speaker."""
    speakers = [_speaker_at(w.start_s, w.end_s, turns) for w in segment.words]
    if len(set(speakers)) == 1:
        return [(speakers[0], segment)]
    runs: list[tuple[int, list[Word]]] = []
    for speaker, word in zip(speakers, segment.words, strict=True):
        if runs and runs[-1][0] == speaker:
            runs[-1][1].append(word)
        else:
            runs.append((speaker, [word]))
    cjk = bool(_CJK.search(segment.text))
    return [
        (
            speaker,
            AsrSegment(
                start_s=words[0].start_s,
                end_s=words[-1].end_s,
                text=join_words(words, cjk=cjk),
                words=tuple(words),
                confidence=segment.confidence,
                no_speech_prob=segment.no_speech_prob,
            ),
        )
        for speaker, words in runs
    ]
