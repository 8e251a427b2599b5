"""Mandarin readings of numbers: cardinals (cn2an), decimals, digit strings, years, 两.

cn2an reads integers (it knows 万/亿 grouping and where 零 goes). Signs, decimals, 两,
digit-by-digit readings and 幺 are done here: cn2an says 二万 where speakers say 两万, has no 幺,
and its whole-text ``transform`` mangles negative decimals (负三.五).
"""

from __future__ import annotations

import re

import cn2an

_PLAIN = str.maketrans("0123456789", "零一二三四五六七八九")
_YAO = str.maketrans("0123456789", "零幺二三四五六七八九")
_CN2AN_MAX_DIGITS = 16
# 两 replaces 二 before 千/万/亿 when 二 starts a group (两千, 一万两千, 两亿), never in 二十.
_LIANG = re.compile(r"(?:^|(?<=[万亿零]))二(?=[千万亿])")
# After which a bare 2 is counted with 两 (两个, 两年, 两点, 两公里), not numbered (二号, 二月).
_MEASURE_CHARS = frozenset(
    "个位只条张本件台辆架艘头匹块片根支把双对副套份种样项次回遍趟顿场天年岁周倍成斤吨米升元角"
    "分秒人家所间层座栋首篇部段句页杯瓶碗盒包袋箱颗粒滴口声下点名排行笔节门届集季批轮万千百亿克"
)
_MEASURE_WORDS: tuple[str, ...] = (
    *("小时", "分钟", "星期", "礼拜", "公斤", "公里", "千米", "千克", "厘米", "毫米", "毫升"),
    *("美元", "欧元", "英镑", "港元", "日元", "平方", "立方", "毫克", "纳米", "微米"),
)


def digits(text: str, *, yao: bool = False) -> str:
    """Read ``text``'s digits one by one (二零二四); ``yao`` reads 1 as 幺, as in phone numbers."""
    return text.translate(_YAO if yao else _PLAIN)


def integer(text: str) -> str:
    """Read a string of digits (commas allowed) as a cardinal: ``1,234`` → 一千二百三十四."""
    plain = text.replace(",", "")
    if len(plain.lstrip("0") or "0") > _CN2AN_MAX_DIGITS:
        return digits(plain)
    reading: str = cn2an.an2cn(str(int(plain)))
    return reading


def number(text: str, *, trim_zeros: bool = False) -> str:
    """Read a signed decimal number: ``-3.50`` → 负三点五零 (负三点五 with ``trim_zeros``)."""
    sign = "负" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("+-").partition(".")
    if trim_zeros:
        fraction = fraction.rstrip("0")
    reading = with_liang(integer(whole or "0"))
    if fraction:
        reading += "点" + digits(fraction)
    return sign + reading


def with_liang(reading: str) -> str:
    """Say 两 for a leading 二 before 千, 万 or 亿 (两千, 一万两千), as speakers do."""
    if "二" not in reading:
        return reading
    return _LIANG.sub("两", reading)


def counts_with_liang(after: str) -> bool:
    """Whether a bare 2 followed by ``after`` is a count (两个) rather than a label (二号)."""
    return bool(after) and (after[0] in _MEASURE_CHARS or after.startswith(_MEASURE_WORDS))


def year(text: str) -> str:
    """Read a year digit by digit: ``2024`` → 二零二四."""
    return digits(text)
