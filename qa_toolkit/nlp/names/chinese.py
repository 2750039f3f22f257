"""Chinese names: a known surname first, and what call-centre speech gives away around it.

A candidate is kept only where a common surname begins it and the words
around it say it is a name: a cue before it (我叫, 姓, 机主是, 一个叫…的), a
title after it (先生, 女士, 师傅), a nickname prefix (小王, 老张), a character
spelling (弓长张, 钱包的钱), or jieba's person-name tag (``nr``). jieba's
segmentation decides where a name ends when the text does not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import zhconv

from qa_toolkit.nlp.names.spans import NameSpan

# The commonest surnames (together well over 95% of people in mainland China).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁"
    "蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠"
    "荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼满闻位厉伊仝郜阚花权强帅屠豆朴盖练廉禹井祖漆"
    "巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊裘亓修邰赫杭况宿鲜印"
    "逯隆茹诸战慕危玉银亢嵇公湛宾戎勾茅利於居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧"
)
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 "
    "西门 百里 呼延 闻人 澹台 公冶 太史 申屠 万俟 钟离 宗政 濮阳".split()
)
# How a surname is spelled on the phone: by its parts (弓长张) or by a common word.
SPELLINGS = {
    "弓长张": "张", "立早章": "章", "木子李": "李", "耳东陈": "陈", "口天吴": "吴", "古月胡": "胡",
    "双木林": "林", "三横王": "王", "言午许": "许", "人可何": "何", "文刀刘": "刘", "走肖赵": "赵",
    "木易杨": "杨", "草头黄": "黄", "口十叶": "叶", "双人徐": "徐", "双口吕": "吕", "子小孙": "孙",
    "禾呈程": "程", "三点水江": "江", "单人余": "余", "耳刀郑": "郑", "金旁钟": "钟",
}  # fmt: skip
TITLES = (
    "先生", "女士", "小姐", "老师", "经理", "师傅", "主管", "阿姨", "大哥", "大姐", "同学", "同事",
    "医生", "律师", "主任", "店长", "老板", "科长", "处长", "部长", "警官", "工程师", "太太", "姐",
    "哥",
)  # fmt: skip
# Where a name is said next: "我叫…", "机主是…", "一个叫…的". `intro` cues name the speaker.
_INTRO_CUES = r"我叫|我是|本人是|本人叫|我的名字是|我的名字叫"
_CUES = (
    r"名字是|名字叫|姓名是|姓名叫|姓名|名叫|叫做|一个叫|一位叫|有个叫|那个叫|这个叫|叫|"
    r"机主是|机主叫|机主|户主是|户主|业主是|业主|持卡人是|持卡人|户名是|户名|开户人是|开户人|"
    r"收件人是|收件人|收货人是|收货人|寄件人是|寄件人|联系人是|联系人|签收人是|"
    r"(?:老公|老婆|爱人|丈夫|妻子|儿子|女儿|爸爸|妈妈|父亲|母亲|哥哥|姐姐|弟弟|妹妹|朋友|同事|"
    r"领导|家人|爸|妈)(?:叫|是|名字叫)?"
)
# A staff role the agent names before their own name: 我是客服小陈, 我是工号1234的小王.
_ROLE = re.compile(r"(?:客服代表|客服专员|客服|专员|工号\s*\d+\s*的?|售后|顾问)")
# Characters that end a name: particles, pronouns, verbs that follow a name in speech.
_STOP = frozenset(
    "的了是吗呢吧啊呀哦哈嘛么在和跟与给对说讲打来去要想也都就还会能可先女小老师经主同阿等这那我你"
    "他她您们及或但从向到把被让请问以已有没不很太再又才刚正将并而且之其此做用叫姓号电手身住地址为"
    "该各每几多少啦哟喂嗯，。、！？；：,.!?;: 0123456789"
)
_NICK_PREFIX = "小老阿"
# "小X" and "老X" words that are not nicknames though X is a surname (小时, 老师, 老公…).
_NOT_NICKNAMES = frozenset(
    "小时 小区 小米 小费 小于 小康 小路 小车 小麦 小计 小国 小白 小强 小平 小家 小金 小巴 小丰 "
    "小商 小说 小程 小宝 小鲜 小方 小花 小包 小雪 小满 小燕 小明 小华 老师 老公 老路 老车 老汤 "
    "老区 老乡 老化 老家 老成 老实 老板 老年 老人 老总 老大 阿里 阿姨 阿胶".split()
)
# Words jieba tags as person names that are no names.
_NOT_NAMES = frozenset(
    "谢谢 老公 阿姨 老婆 小姐 先生 女士 师傅 客服 老师 马上 高兴 万一 方便".split()
)
# jieba's dictionary holds common words tagged ``nr`` (明白, 银行卡); a word used this
# often is not someone's name.
_COMMON_WORD_FREQ = 100
# Tags of words that cannot begin a name: conjunctions, prepositions, particles, adverbs.
_FUNCTION_TAGS = frozenset("c p u uj ul uz ug uv ud y d e o".split())
_JOINING_TAGS = frozenset("c p u uj ul uz ug uv ud y e o".split())
# Tags of words that cannot be a name before a title (安排师傅: 'arrange a technician').
_NOT_NAME_TAGS = _FUNCTION_TAGS | frozenset("v vn vd a ad an m q t f r s z".split())
# A demonstrative or numeral before 张/位/条… makes it a measure word (那张卡, 这位).
_COUNTERS = frozenset("这那哪一二两三四五六七八九十几每某多")
# A company's name, not a person's, when one of these follows (华润燃气, 招商银行).
_ORG_WORDS = re.compile(
    r"燃气|银行|公司|集团|科技|物流|快递|电力|移动|联通|电信|保险|航空|商城|超市|电器|家电|物业|"
    r"售后|官方|旗舰店|医院|学校|大学"
)
_ROLE_CUES = r"主管|经理|店长|同事|专员|师傅|快递员|工程师|技术员|老师|医生|律师|领导|助理"
_CUE_RE = re.compile(rf"(?P<intro>{_INTRO_CUES})|(?P<role>{_ROLE_CUES})|(?:{_CUES})")
# 钱包的钱, 桂花的桂: a character explained by a word that holds it, said on its own
# (知情的情况 is not one: the character runs on into a word).
_CHARACTER_SPELLING = re.compile(
    r"([\u4e00-\u9fff])([\u4e00-\u9fff])的(?:\1|\2)(?=$|[，。,.、！？!?；;\s字])"
)
_LATIN_NAME = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba
    import jieba.posseg

    # jieba reports its dictionary loading at DEBUG on its own stderr handler;
    # raising its logger's level keeps a command's output clean.
    jieba.setLogLevel(logging.INFO)
    jieba.initialize()
    return jieba.posseg


def find(text: str, limit: int | None = None) -> list[NameSpan]:
    """Chinese names in one text (simplified or traditional), in its first ``limit`` characters."""
    text = text[:limit]
    if not _HAN.search(text):
        return []
    simple = _simplified(text)
    tokens = [(w, f) for w, f in _jieba().cut(simple)]
    ends, offset = set(), 0
    for word, _ in tokens:
        offset += len(word)
        ends.add(offset)
    tags = _tags_at(tokens)
    spans = [
        *_after_cues(simple, ends, tags),
        *_before_titles(simple, tokens),
        *_nicknames(simple, tokens),
        *_spellings(simple),
        *_tagged(simple, tokens),
    ]
    return [NameSpan(s.start, s.end, text[s.start : s.end], s.self_intro) for s in spans]


def _tags_at(tokens: list[tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """The jieba word and tag starting at each offset."""
    out, offset = {}, 0
    for word, flag in tokens:
        out[offset] = (word, flag)
        offset += len(word)
    return out


def _simplified(text: str) -> str:
    """The text in simplified characters, where that keeps every offset."""
    simple = str(zhconv.convert(text, "zh-cn"))
    return simple if len(simple) == len(text) else text


def _surname_at(text: str, pos: int) -> int:
    """Length of the surname starting at ``pos`` (2 for 欧阳), or 0."""
    if text[pos : pos + 2] in COMPOUND_SURNAMES:
        return 2
    return 1 if pos < len(text) and text[pos] in SURNAMES else 0


def _full_name(text: str, pos: int, ends: set[int]) -> int:
    """The end of a surname-first name at ``pos`` (a surname and up to two more characters)."""
    size = _surname_at(text, pos)
    if not size:
        return pos
    end = pos + size
    given = 0
    while given < 2 and end < len(text) and _HAN.match(text[end]) and text[end] not in _STOP:
        if any(text.startswith(t, end) for t in TITLES):
            break
        end, given = end + 1, given + 1
    # Two given characters only where jieba agrees the name ends there.
    if given == 2 and end not in ends and end - 1 in ends:
        end -= 1
    return end


def _after_cues(text: str, ends: set[int], tags: dict[int, tuple[str, str]]) -> list[NameSpan]:
    spans = []
    for m in _CUE_RE.finditer(text):
        pos = m.end()
        intro = m.group("intro") is not None
        if intro:
            role = _ROLE.match(text, pos)
            pos = role.end() if role else pos
            # 我是客服小美: an agent's nickname, whatever the character after 小.
            nick = text[pos + 1 : pos + 2]
            if text[pos : pos + 1] in _NICK_PREFIX and nick and _HAN.match(nick):
                if nick not in _STOP and f"{text[pos]}{nick}" not in _NOT_NICKNAMES:
                    spans.append(NameSpan(pos + 1, pos + 2, nick, True))
                    continue
        latin = _LATIN_NAME.match(text, pos)
        if latin:
            spans.append(NameSpan(pos, latin.end(), latin.group(), intro))
            continue
        word, flag = tags.get(pos, ("", ""))
        if len(word) == 1 and flag in _FUNCTION_TAGS:
            continue  # 姓名和身份证: 和 is 'and' here
        end = _full_name(text, pos, ends)
        if end == pos or _ORG_WORDS.match(text, end) or _is_word(text[pos:end], tags.get(pos)):
            continue
        # After a weak cue (我是, 叫, a role) a lone surname is too little to go on;
        # after a strong one it must stand alone (机主是王。).
        alone = text[end : end + 1] in ("", "，", "。", ",", ".", "、", "！", "？", " ")
        weak = intro or m.group("role") is not None or m.group() == "叫"
        if end - pos >= 2 or (not weak and alone):
            spans.append(NameSpan(pos, end, text[pos:end], intro))
    for m in re.finditer(r"姓(?!名)", text):
        size = _surname_at(text, m.end())
        if size and text[m.end() + size : m.end() + size + 1] not in ("名",):
            spans.append(NameSpan(m.end(), m.end() + size, text[m.end() : m.end() + size]))
    return spans


def _before_titles(text: str, tokens: list[tuple[str, str]]) -> list[NameSpan]:
    """王先生, 黄志强先生, 马主管: the word before a title, where a surname begins it."""
    spans, offset = [], 0
    for index, (word, _) in enumerate(tokens):
        start, offset = offset, offset + len(word)
        for title in TITLES:
            if word.endswith(title) and len(word) > len(title):
                name, flag = word[: -len(title)], "nr"  # jieba keeps 王先生 as one word
            elif word == title and index:
                name, flag = tokens[index - 1]
                start -= len(name)
            else:
                continue
            # A lone surname before a title is a name whatever jieba makes of it
            # (曾先生: 曾 is also 'once'), unless it is a conjunction or particle.
            bad_tags = _JOINING_TAGS if len(name) == 1 else _NOT_NAME_TAGS
            if (
                1 <= len(name) <= 4
                and not (len(name) > 1 and _common(name))
                and _surname_at(name, 0)
                and name not in _NOT_NAMES
                and flag not in bad_tags
                and not any(c in _STOP for c in name)
                and text[start - 1 : start] not in _COUNTERS
            ):
                spans.append(NameSpan(start, start + len(name), name))
            break
    return spans


def _nicknames(text: str, tokens: list[tuple[str, str]]) -> list[NameSpan]:
    """小王, 老张, 阿陈: the surname after the prefix."""
    spans, offset = [], 0
    for index, (word, _) in enumerate(tokens):
        start, offset = offset, offset + len(word)
        if len(word) == 2 and word[0] in _NICK_PREFIX and word not in _NOT_NICKNAMES:
            surname = word[1]
        elif word in _NICK_PREFIX and index + 1 < len(tokens) and len(tokens[index + 1][0]) == 1:
            surname, start = tokens[index + 1][0], offset - 1
        else:
            continue
        if surname in SURNAMES:
            spans.append(NameSpan(start + 1, start + 2, surname))
    return spans


def _spellings(text: str) -> list[NameSpan]:
    spans = []
    for spelling in SPELLINGS:
        for m in re.finditer(spelling, text):
            spans.append(NameSpan(m.start(), m.end(), m.group()))
    for m in _CHARACTER_SPELLING.finditer(text):
        spans.append(NameSpan(m.start(), m.end(), m.group()))
    return spans


def _tagged(text: str, tokens: list[tuple[str, str]]) -> list[NameSpan]:
    """jieba's person names (``nr``) that begin with a surname and are no common word.

    A surname jieba cut off a given name it tags ``nr`` (钱|海燕) is joined back.
    """
    spans, offset = [], 0
    for index, (word, flag) in enumerate(tokens):
        start, offset = offset, offset + len(word)
        if not flag.startswith("nr") or word in _NOT_NAMES or len(word) > 4:
            continue
        if word[0] in _NICK_PREFIX or any(word.endswith(t) for t in TITLES):
            continue  # 小王, 王先生: handled with their prefix or title
        if _common(word) or text[start - 1 : start] in _COUNTERS or _ORG_WORDS.match(text, offset):
            continue
        previous, previous_flag = tokens[index - 1] if index else ("", "")
        if (
            len(word) <= 2
            and len(previous) == 1
            and previous in SURNAMES
            and previous_flag not in _FUNCTION_TAGS
        ):
            spans.append(NameSpan(start - 1, offset, previous + word))
            continue
        size = _surname_at(word, 0)
        end = len(word)
        while end > size and word[end - 1] in _STOP:
            end -= 1  # 彭丽会 → 彭丽
        if size and end >= 2 and word[:end] not in _NOT_NAMES and not _common(word[:end]):
            spans.append(NameSpan(start, start + end, word[:end]))
    return spans


def _common(word: str) -> bool:
    return int(_jieba().dt.FREQ.get(word, 0) or 0) >= _COMMON_WORD_FREQ


def _is_word(candidate: str, token: tuple[str, str] | None) -> bool:
    """Whether a candidate name is a common word, or jieba reads it as a non-name word."""
    if len(candidate) > 1 and (_common(candidate) or candidate in _NOT_NAMES):
        return True
    return token is not None and token[0] == candidate and token[1] in _NOT_NAME_TAGS


def answer(text: str) -> list[NameSpan]:
    """Clauses of a reply that are only a name, after a question for one (白雪。 钱，…)."""
    spans = []
    for m in re.finditer(r"[^，。,.！？!?、\s]+", _simplified(text)):
        clause = m.group()
        lead = re.match(r"(?:我叫|我是|叫|是|姓)", clause)
        start = m.start() + (lead.end() if lead else 0)
        name = text[start : m.end()]
        if 1 <= len(name) <= 4 and _HAN.fullmatch(name[0]) and _surname_at(name, 0):
            if all(_HAN.match(c) and c not in _STOP for c in name[1:]):
                spans.append(NameSpan(start, m.end(), name))
    return spans


def name_forms(said: str) -> set[str]:
    """What a Chinese name may come back as: itself, and a two-character given name."""
    han = "".join(_HAN.findall(said))
    if len(han) != len(said) or len(said) < 2 or _CHARACTER_SPELLING.fullmatch(said):
        return set()
    forms = {said}
    size = _surname_at(said, 0)
    if size and len(said) - size == 2:
        forms.add(said[size:])
    return forms


def mentions(text: str, known: Iterable[str]) -> list[NameSpan]:
    """Every place ``text`` says a known Chinese name again."""
    spans = []
    for form in known:
        for m in re.finditer(re.escape(form), text):
            spans.append(NameSpan(m.start(), m.end(), form))
    return spans
