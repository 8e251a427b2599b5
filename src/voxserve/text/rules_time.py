"""Dates, times of day, ratios and decades."""

from __future__ import annotations

import re

from voxserve.text import en_numbers as en
from voxserve.text import zh_numbers as zh
from voxserve.text.rules import WORD_START, Rule, context_rule, ends_sentence, latin_rule
from voxserve.text.script import Lang

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_PATTERN = "|".join(f"{m[:3]}(?:{m[3:]})?" if len(m) > 3 else m for m in MONTHS)
_MONTH_PATTERN = rf"(?:{_MONTH_PATTERN.replace('Sep(?:', 'Sept?(?:')})\.?"


def _month_number(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name[:3]) + 1


def _valid_date(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def _zh_date(year: str, month: int, day: int | None) -> str:
    reading = f"{zh.year(year)}年{zh.integer(str(month))}月"
    return reading + (f"{zh.integer(str(day))}日" if day is not None else "")


def _en_date(year: str, month: int, day: int | None) -> str:
    if day is None:
        return f"{MONTHS[month - 1]} {en.year(int(year))}"
    return f"{MONTHS[month - 1]} {en.ordinal(day)}, {en.year(int(year))}"


def _ymd(match: re.Match[str], lang: Lang) -> str | None:
    year, month, day = match["y"], int(match["m"]), int(match["d"])
    if not _valid_date(month, day):
        return None
    return _zh_date(year, month, day) if lang == "zh" else _en_date(year, month, day)


def _year_month(match: re.Match[str], lang: Lang) -> str:
    year, month = match["y"], int(match["m"])
    return _zh_date(year, month, None) if lang == "zh" else _en_date(year, month, None)


def _month_day_en(match: re.Match[str]) -> str:
    month = MONTHS[_month_number(match["m"]) - 1]
    day, year = int(match["d"]), match["y"]
    reading = f"{month} {en.ordinal(day)}"
    return reading + (f", {en.year(int(year))}" if year else "")


def _day_month_en(match: re.Match[str]) -> str:
    day, month, year = int(match["d"]), match["m"], match["y"]
    reading = f"the {en.ordinal(day)} of {MONTHS[_month_number(month) - 1]}"
    return reading + (f", {en.year(int(year))}" if year else "")


def _clock(match: re.Match[str]) -> tuple[int, int, int | None, str] | None:
    groups = match.groupdict()
    hour, minute = int(match["h"]), int(groups.get("min") or 0)
    second = int(groups["s"]) if groups.get("s") else None
    if hour > 24 or minute > 59 or (second or 0) > 59:
        return None
    return hour, minute, second, (match["ap"] or "").lower()


def _zh_time(match: re.Match[str]) -> str | None:
    clock = _clock(match)
    if clock is None:
        return None
    hour, minute, second, meridiem = clock
    reading = "下午" if meridiem.startswith("p") else "上午" if meridiem else ""
    reading += ("两" if hour == 2 else zh.integer(str(hour))) + "点"
    if minute:
        reading += ("零" if minute < 10 else "") + zh.integer(str(minute)) + "分"
    elif second is not None:
        reading += "零分"
    if second is not None:
        reading += zh.integer(str(second)) + "秒"
    if match.group(0).endswith(".") and ends_sentence(match):
        reading += "。"
    return reading


def _en_time(match: re.Match[str]) -> str | None:
    clock = _clock(match)
    if clock is None:
        return None
    hour, minute, second, meridiem = clock
    reading = en.cardinal(hour)
    if minute:
        reading += f" oh {en.cardinal(minute)}" if minute < 10 else f" {en.cardinal(minute)}"
    elif not meridiem:
        reading += " o'clock"
    if second is not None:
        reading += f" and {en.cardinal(second)} second" + ("" if second == 1 else "s")
    if not meridiem:
        return reading
    # "at 3 p.m." ends a sentence with the abbreviation's full stop.
    end = "." if match.group(0).endswith(".") and ends_sentence(match) else ""
    return f"{reading} {meridiem[0].upper()} M{end}"


def _ratio(match: re.Match[str], lang: Lang) -> str:
    left, right = match["a"], match["b"]
    if lang == "zh":
        return f"{zh.integer(left)}比{zh.integer(right)}"
    return f"{en.cardinal(int(left))} to {en.cardinal(int(right))}"


def _score(match: re.Match[str], lang: Lang) -> str:
    return match["gap"] + _ratio(match, lang)


def _decade(match: re.Match[str], lang: Lang) -> str:
    full, short = match["full"], match["short"]
    if lang == "zh":
        return zh.year(full or short) + "年代"
    words = en.year(int(full)) if full else en.cardinal(int(short))
    return en.plural_word(words)


# A colon between two numbers is a score, not a clock, after these words or before these.
_SCORE_BEFORE = "比分|比数|战胜|击败|打败|输给|负于|赢了|输了|打成|战成|比赛"
_SCORE_AFTER = "战胜|击败|打败|获胜|取胜|胜出|落败|告负|赢|输|领先|落后|逆转|大胜|险胜|完胜|惜败"
_SCORE_GAP = r"[^\d，。；！？,;!?]{0,6}?"

_NOT_AFTER = r"(?<![\d.:/-])"
_NOT_BEFORE = r"(?![\d:/]|[.-]\d)"
_MERIDIEM = r"(?:\s?(?P<ap>[AaPp])(?:\.[Mm]\.|[Mm])(?![A-Za-z]))"
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"


RULES = (
    context_rule(
        "score after",
        rf"(?<=(?:{_SCORE_BEFORE}))(?P<gap>{_SCORE_GAP})(?<!\d)(?P<a>\d{{1,3}})\s?[:：]\s?(?P<b>\d{{1,3}})(?!\d)",
        _score,
    ),
    context_rule(
        "score before",
        rf"(?<![\d:])(?P<a>\d{{1,3}})\s?[:：]\s?(?P<b>\d{{1,3}})(?=\s?(?:{_SCORE_AFTER}))",
        _ratio,
    ),
    context_rule(
        "date y-m-d",
        rf"{_NOT_AFTER}(?P<y>\d{{4}})(?P<sep>[-/.])(?P<m>\d{{1,2}})"
        rf"(?P=sep)(?P<d>\d{{1,2}}){_NOT_BEFORE}",
        _ymd,
    ),
    context_rule(
        "date m/d/y",
        rf"{_NOT_AFTER}(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})/(?P<y>\d{{4}}){_NOT_BEFORE}",
        _ymd,
    ),
    context_rule(
        "year-month",
        rf"{_NOT_AFTER}(?P<y>[12]\d{{3}})-(?P<m>0[1-9]|1[0-2]){_NOT_BEFORE}",
        _year_month,
    ),
    latin_rule(
        "month day",
        rf"{WORD_START}(?P<m>{_MONTH_PATTERN})\s+{_DAY}(?:,?\s+(?P<y>\d{{4}}))?(?![\d:])",
        _month_day_en,
    ),
    latin_rule(
        "day month",
        rf"(?<![\d.]){_DAY}\s+(?P<m>{_MONTH_PATTERN})(?:,?\s+(?P<y>\d{{4}}))?(?![\d:])",
        _day_month_en,
    ),
    Rule(
        "time",
        re.compile(
            rf"(?<!\d)(?<!\d:)(?P<h>\d{{1,2}}):(?P<min>\d{{2}})(?::(?P<s>\d{{2}}))?{_MERIDIEM}?"
            r"(?!\d)(?!:\d)"
        ),
        _zh_time,
        _en_time,
    ),
    Rule("hour", re.compile(rf"(?<![\d.:])(?P<h>\d{{1,2}}){_MERIDIEM}"), _zh_time, _en_time),
    context_rule("ratio", r"(?<!\d)(?<!\d:)(?P<a>\d+):(?P<b>\d+)(?!\d)(?!:\d)", _ratio),
    context_rule(
        "decade", r"(?<![\d'])(?:(?P<full>1\d{3}|20\d{2})|'(?P<short>\d0))s(?![A-Za-z])", _decade
    ),
)
"""Date and time rules, run before plain numbers take the digits apart."""
