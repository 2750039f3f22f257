"""Addresses without a house number: street and estate names, postcodes, administrative chains.

:func:`qa_toolkit.nlp.pii.find_pii` finds addresses that carry a house number
("42 Larkspur Drive", 建国路88号). A caller often gives less and still says
where they live: "on Cedar Lane", "Halcyon House", "LS6 2QT", 望京西园三区,
浙江省杭州市西湖区. :func:`find_places` finds those:

- English: capitalised words ending in a street or building word (Street,
  Lane, Close, House, Business Park…), a flat or unit number, a UK postcode, a
  US ZIP code after "zip";
- Chinese: a road, street, estate or building name (…路, …街, …小区, …花园,
  …大厦), with the districts before it and the building, unit and room numbers
  after it; or two administrative levels together (…省…市, …市…区).

A city or district said alone ("I'm in Leeds", 我在南京) is not an address.
"""

from __future__ import annotations

import re

_EN_STREET_WORDS = (
    r"Street|Road|Avenue|Lane|Drive|Close|Crescent|Mews|Grove|Gardens|Terrace|Way|Place|Court|"
    r"Square|Boulevard|Parkway|Row|Walk|Rise|Hill|View|Green|Wharf|Quay|Hwy|Highway|Ave|Rd|Blvd"
)
_EN_BUILDING_WORDS = (
    r"House|Tower|Building|Mansions|Lodge|Cottage|Business Park|Industrial Estate|Estate|"
    r"Retail Park|Apartments|Flats|Centre|Center|Plaza"
)
_CAP = r"(?:[A-Z][a-z]+|[A-Z]['’][A-Z][a-z]+)"
_EN_PLACE = re.compile(
    rf"\b(?:\d{{1,5}}[A-Za-z]?\s+)?(?:{_CAP}\s+){{1,3}}(?:{_EN_STREET_WORDS}|{_EN_BUILDING_WORDS})\b"
    r"(?:,?\s*\d{1,3}(?:st|nd|rd|th) [Ff]loor)?"
)
_EN_UNIT = re.compile(
    r"\b(?:flat|apartment|apt|unit|suite|floor)\.?\s*#?\s*\d+[A-Za-z]?\b", re.IGNORECASE
)
# With its space, as it is said and written: without it "X7T9QL" is a booking reference.
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}\b")
_US_ZIP = re.compile(
    r"\b(?:zip|zip code|zipcode|postal code|postcode)\b(?:\s+(?:is|was))?[\s:,]*"
    r"(?P<zip>\d{5}(?:-\d{4})?)\b",
    re.IGNORECASE,
)
# Chinese: administrative parts, then a road, then an estate or building, then numbers.
_H = r"[\u4e00-\u9fff]"
_ZH_NUM = r"[0-9０-９一二三四五六七八九十百零〇两A-Za-z]+"
_ZH_ADMIN = (
    rf"(?P<province>{_H}{{2,6}}?(?:省|自治区))?(?P<city>{_H}{{2,6}}?(?:市|州|盟))?"
    rf"(?P<district>{_H}{{1,6}}?(?:(?<![小社景地校郊山营])区|县|旗))?(?P<town>{_H}{{1,6}}?(?:镇|乡|街道))?"
)
_ZH_ROAD = rf"(?P<road>{_H}{{1,8}}?(?:大道|大街|路|街|巷|弄|胡同|[东西南北中]道)(?:{_ZH_NUM}段)?)?"
_ZH_ESTATE = (
    rf"(?P<estate>(?:{_H}{{1,8}}?(?:小区|花园|公寓|大厦|广场|家园|新村|社区|大楼|苑|府|园|(?<!商)城)"
    rf"(?:(?:[一二三四五六七八九十]+|\d+)(?:区|期))?){{1,2}})?"
)
# The room number often comes bare after the building and unit: 6幢2单元301.
_ZH_UNIT = (
    rf"(?P<unit>(?:{_ZH_NUM}(?:号楼|栋|幢|座|单元|楼|层|室|号|房|户))*"
    r"(?:(?<=[栋幢座元楼层])\d{2,5}(?!\d))?)"
)
_ZH_PLACE = re.compile(_ZH_ADMIN + _ZH_ROAD + _ZH_ESTATE + _ZH_UNIT)
# Words before an address that the lazy name parts would take in (我住在…, 地址是…, 改成…).
_ZH_LEAD = re.compile(
    r".*(?:地址是|地址为|地址|住在|住址|寄到|送到|发到|派送到|位于|改成|改为|搬到|就在|"
    r"在|是|到|的|我们|你们|他们|这个|那个|我家|您家|楼上|楼下|附近|旁边|离|去)"
)
# Said just before a road or estate that comes without a district or a number.
_ZH_CUE = re.compile(r"(?:地址|住|寄到|送到|发到|派送到|位于|改成|改为|搬到|在|到|是)$")
# Common words that end like an estate or a district (小区, 公园, 幼儿园, 地区…).
_ZH_NOT_PLACES = frozenset(
    "小区 花园 公寓 大厦 广场 家园 社区 大楼 公园 乐园 田园 校园 幼儿园 动物园 果园 菜园 "
    "地区 景区 园区 服务区 城区 市区 郊区 山区 营业厅 长城 进城 县城 省城 京城 全城 同城 "
    "城里 古城 满城".split()
)
# Words ending in 路 or 街 that are no road (原路退回, 线路检修, 逛街).
_NOT_ROADS = frozenset(
    "原路 线路 道路 马路 网路 思路 走路 套路 出路 电路 迷路 带路 让路 问路 公路 铁路 水路 陆路 "
    "近路 远路 上路 顺路 半路 弯路 退路 回路 来路 去路 后路 前路 生路 活路 门路 销路 心路 正路 "
    "逛街 上街 满街 沿街 临街 大街".split()
)


def find_places(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each address without a house number in one text, in text order."""
    found = [*_english(text), *_chinese(text)]
    return tuple(sorted(found))


def _english(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _EN_PLACE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _EN_UNIT.finditer(text)]
    spans += [m.span() for m in _UK_POSTCODE.finditer(text)]
    spans += [m.span("zip") for m in _US_ZIP.finditer(text)]
    return [(a, len(text[:b].rstrip(" ,"))) for a, b in spans]


def _chinese(text: str) -> list[tuple[int, int]]:
    if not re.search(_H, text):
        return []
    spans = []
    for m in _ZH_PLACE.finditer(text):
        if not m.group():
            continue
        start, end = m.start(), m.end()
        lead = _ZH_LEAD.match(m.group())
        if lead and lead.end() < len(m.group()) - 1:
            start += lead.end()
        road = m.group("road") or ""
        if road and (road[-2:] in _NOT_ROADS or _ROAD_NUMBER.sub("", road)[-2:] in _NOT_ROADS):
            end = m.start("road")  # 鼓楼区东街街道 | 因为线路检修: the road is no road
        if _is_place(m, start, end, text[max(0, start - 4) : start]):
            spans.append((start, end))
    return spans


_ROAD_NUMBER = re.compile(rf"{_ZH_NUM}段$")


def _is_place(m: re.Match[str], start: int, end: int, before: str) -> bool:
    """Whether ``text[start:end]`` of a match is an address: enough parts, or a cue before it."""
    place = m.string[start:end]
    if len(place) < 3 or place in _ZH_NOT_PLACES or _only_suffix(place):
        return False

    def has(group: str) -> bool:
        return bool(m.group(group)) and m.end(group) > start and m.end(group) <= end

    levels = sum(1 for g in ("province", "city", "district", "town") if has(g))
    named = sum(1 for g in ("road", "estate") if has(g) and len(m.group(g)) >= 3)
    # 7号楼502室: building and room numbers say it is an address on their own.
    rooms = has("unit") and re.search(r"号楼|栋|幢|座|单元|室", m.group("unit"))
    if levels >= 2 or (levels and named) or named == 2 or rooms:
        return True
    return named > 0 and _ZH_CUE.search(before + m.string[m.start() : start]) is not None


def _only_suffix(place: str) -> bool:
    """A bare estate or road word after a pronoun or number (我们小区, 三区): no name in it."""
    return bool(re.fullmatch(r"(?:[一二三四五六七八九十\d]+)?(?:小区|花园|区|路|街)", place))
