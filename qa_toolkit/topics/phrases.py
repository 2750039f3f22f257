"""Key phrases of topics: the words that set a topic's calls apart, per language (c-TF-IDF).

Each topic's calls are read as one document; a word's weight is its frequency in the topic
times ``log(1 + A / f)``, where ``f`` is its frequency over every topic and ``A`` the mean
number of words per topic (class-based TF-IDF). A word every topic uses (a company's name,
"customer service", 客服) weighs little however often it is said. English is read as words and
two-word phrases without stop words; Chinese as jieba's words of two characters or more.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from qa_toolkit.nlp.text import fold, is_chinese

_EN_WORD = re.compile(r"[a-z][a-z'-]{1,}")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# Function words, and words of every call centre ("customer", "service", "please") that say
# nothing about the reason.
_EN_STOP = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get got had hadn't
    has hasn't have haven't having he her here hers herself him himself his how i i'd i'll i'm
    i've if in into is isn't it it's its itself just let's like me more most my myself no nor
    not now of off on once only or other ought our ours ourselves out over own really same she
    should shouldn't so some still such than that that's the their theirs them themselves then
    there there's these they they're this those through to too under until up us very was wasn't
    we we're were weren't what what's when where which while who whom why why's will with won't
    would wouldn't you you're your yours yourself also yet already since hi hello hey dear thanks
    thank please ok okay yes yeah um uh well customer service services staff company call called
    calling phone want wanted need know tell told say said one two get going go make made time
    day today yesterday ask asked help anything something thing things way could would shall
    must may might much many lot right good sorry""".split()
)
_ZH_STOP = frozenset(
    """我们 你们 他们 她们 它们 自己 什么 怎么 为什么 这个 那个 这样 那样 这些 那些 一个 一下
    一直 已经 还是 但是 可是 而且 然后 因为 所以 如果 就是 不是 没有 现在 今天 昨天 时候
    可以 能够 知道 告诉 请问 谢谢 您好 你好 客服 客户 服务 官方 公司 麻烦 问题 一些 这么
    那么 真的 还有 其实 只是 不过 或者 以及 怎么办 东西 事情 大家 出来 起来 之后 之前 以后
    以前 的话 一点 有点 这里 那里 哪里 为何 是否 还要 我家 我的 你们的 您的 亲爱 希望 感觉
    觉得 应该 需要 结果 情况 解决 处理 回复 联系 电话 一次 不了 两个 一笔 几个 这次 一样
    不能 不会 没法 好像 不到""".split()
)


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    # jieba reports its dictionary loading at DEBUG on its own handler.
    jieba.setLogLevel(logging.INFO)
    jieba.initialize()
    return jieba


def terms(text: str, ignore: Sequence[str] = ()) -> tuple[str, list[str]]:
    """The language (``en``/``zh``) of a text and its candidate terms."""
    folded = fold(text)
    for name in ignore:
        folded = folded.replace(fold(name), " ")
    if is_chinese(folded):
        words = [w for w in _jieba().cut(folded) if _CJK.match(w) and len(w) >= 2]
        return "zh", [w for w in words if w not in _ZH_STOP]
    words = [w.strip("'-") for w in _EN_WORD.findall(folded)]
    words = [w for w in words if w and w not in _EN_STOP and len(w) >= 3]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return "en", words + pairs


def key_phrases(
    documents: Mapping[str, Sequence[str]], *, top: int = 6, ignore: Sequence[str] = ()
) -> dict[str, dict[str, list[str]]]:
    """Each topic's key phrases by language.

    Args:
        documents: topic id → the texts of its calls.
        top: phrases kept per topic and language.
        ignore: names never shown (company, products).

    Returns:
        topic id → language → phrases, best first.
    """
    counts: dict[str, dict[str, Counter[str]]] = {}
    for topic, texts in documents.items():
        per: dict[str, Counter[str]] = {"en": Counter(), "zh": Counter()}
        for text in texts:
            language, found = terms(text, ignore)
            # Once per call: a word one caller repeats five times is not five callers' word.
            per[language].update(set(found))
        counts[topic] = per
    out: dict[str, dict[str, list[str]]] = {topic: {} for topic in documents}
    for language in ("en", "zh"):
        total: Counter[str] = Counter()
        for per in counts.values():
            total.update(per[language])
        average = sum(total.values()) / max(1, len(documents))
        spread: Counter[str] = Counter()
        for per in counts.values():
            spread.update(w for w, n in per[language].items() if n >= 2)
        # A word in most topics is who was called or how people write, not why: a company
        # name in a day of one company's calls.
        common = {w for w, n in spread.items() if len(documents) >= 4 and n > len(documents) / 2}
        for topic, per in counts.items():
            own = per[language]
            size = sum(own.values()) or 1
            weights = {w: (n / size) * math.log(1 + average / total[w]) for w, n in own.items()
                       if w not in common and not any(p in common for p in w.split())}  # fmt: skip
            # Words several calls share first; one caller's words only fill the list up.
            ranked = sorted(weights, key=lambda w: (own[w] < 2, -weights[w], w))
            out[topic][language] = _without_parts(ranked)[:top]
    return out


def _without_parts(ranked: list[str]) -> list[str]:
    """Drop a phrase that repeats a word of a better-ranked one ("arrived", "arrived late")."""
    kept: list[str] = []
    for phrase in ranked:
        words = set(phrase.split())
        if any(words & set(k.split()) for k in kept):
            continue
        kept.append(phrase)
    return kept


def name_from(phrases: Sequence[str], language: str, count: int = 3) -> str:
    """A short name from a topic's best phrases (``billing · charged twice``)."""
    chosen = list(phrases[:count])
    return ("、" if language == "zh" else " · ").join(chosen)


__all__ = ["key_phrases", "name_from", "terms"]
