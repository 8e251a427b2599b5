"""Plain numbers: arithmetic, fractions, ranges, ordinals, codes, versions and cardinals."""

from __future__ import annotations

import re

from voxserve.text import en_numbers as en
from voxserve.text import zh_numbers as zh
from voxserve.text.rules import DASH, NUM, SIGNED, Rule, context_rule
from voxserve.text.script import Lang

_ZH_OPERATORS = {"+": "加", "-": "减", "×": "乘", "*": "乘", "÷": "除以", "/": "除以", "=": "等于"}
_EN_OPERATORS = {"+": "plus", "-": "minus", "×": "times", "*": "times", "÷": "divided by"}
_EN_OPERATORS |= {"/": "divided by", "=": "equals"}
# Keywords after which digits are a code read one by one; phone-like ones read 1 as 幺.
_YAO_KEYWORDS = "电话|手机|号码|拨打|致电|热线|呼叫|分机|房间|房号|航班|车次"
_CODE_KEYWORDS = (
    "编号|订单号|单号|账号|帐号|卡号|工号|学号|验证码|密码|尾号|邮编|型号|序列号|身份证号"
)
_LONG_DIGITS = 10
"""Digit strings this long (without thousands commas) are codes, not quantities."""
_CODE_DIGITS = 5
"""In Mandarin, a bare number this long that ends a clause or comes before 号, with no word of
quantity before it, is a code (拨打10086。 “26314”号): read digit by digit."""
_QUOTES = "“”\"'「」『』 "
_CODE_END = re.compile(r"[，。！？；：、,.!?;:)）\]】\n]")
_QUANTITY_BEFORE = re.compile(
    r"(?:有|达|共|约|近|超|过|余|增|减|涨|跌|降|花|赚|卖|买|付|收|入|值|价|计|合|总|额|数|量|"
    r"第|了|为|至|到|是|等于|乘|除|加|减)$"
)


def _is_year(value: str, after: str) -> bool:
    """Whether digits before 年 name a year (2024年, 98年, 90年代) rather than a span (10年)."""
    if len(value) == 4 or after.startswith("年代"):
        return True
    # Two digits: 98年 is 1998, but 10年 and 20年 are spans; 15年 stays a span (ambiguous).
    return len(value) == 2 and int(value) >= 50 and int(value) % 10 != 0


def zh_in_context(value: str, after: str) -> str:
    """Read ``value`` in Mandarin, as the words after it require (2024年, 2月, 两个, 3.5)."""
    after = after.lstrip()
    if value.isdigit():
        if after.startswith("年") and _is_year(value, after):
            return zh.year(value)
        if len(value) <= 2 and after[:1] in ("月", "日", "号") and not after.startswith("日元"):
            return zh.integer(value)
        if value == "2" and zh.counts_with_liang(after):
            return "两"
    return zh.number(value)


def en_in_context(value: str) -> str:
    """Read ``value`` in English; four-digit numbers from 1100 to 2099 are read as years."""
    if not value.isdigit():
        return en.decimal(value)
    if len(value) == 4 and 1100 <= int(value) <= 2099:
        return en.year(int(value))
    return en.cardinal(int(value))


def _after(match: re.Match[str]) -> str:
    return match.string[match.end() : match.end() + 8]


def _number(match: re.Match[str], lang: Lang) -> str:
    value = match["value"]
    return zh_in_context(value, _after(match)) if lang == "zh" else en_in_context(value)


def _range(match: re.Match[str], lang: Lang) -> str:
    low, high = match["low"], match["high"]
    if lang == "zh":
        after = _after(match)
        return f"{zh_in_context(low, after)}到{zh_in_context(high, after)}"
    return f"{en_in_context(low)} to {en_in_context(high)}"


def _arithmetic(match: re.Match[str], lang: Lang) -> str:
    operators = _ZH_OPERATORS if lang == "zh" else _EN_OPERATORS
    words = []
    for number, operator in re.findall(rf"({NUM})|([-+×*÷/=])", match.group(0)):
        if number:
            words.append(zh.number(number) if lang == "zh" else en.decimal(number))
        else:
            words.append(operators[operator])
    return ("" if lang == "zh" else " ").join(words)


def _fraction(match: re.Match[str], lang: Lang) -> str | None:
    numerator, denominator, whole = int(match["num"]), int(match["den"]), match["whole"]
    if denominator == 0:
        return None
    if lang == "zh":
        reading = f"{zh.integer(match['den'])}分之{zh.integer(match['num'])}"
        return f"{zh.integer(whole)}又{reading}" if whole else reading
    reading = en.fraction(numerator, denominator)
    return f"{en.cardinal(int(whole))} and {reading}" if whole else reading


def _ordinal(match: re.Match[str], lang: Lang) -> str:
    if lang == "zh" or match.groupdict().get("prefix"):
        return "第" + zh.integer(match["n"])
    return en.ordinal(int(match["n"]))


def _keyword_digits(match: re.Match[str]) -> str:
    code = re.sub(r"\D", "", match["digits"])
    return match["keyword"] + match["gap"] + zh.digits(code, yao=match["keyword"] in _YAO_KEYWORDS)


def _code(match: re.Match[str], lang: Lang) -> str:
    return zh.digits(match.group(0)) if lang == "zh" else en.digits(match.group(0))


def _leading_point(match: re.Match[str], lang: Lang) -> str:
    if lang == "zh":
        return "零点" + zh.digits(match["f"])
    return "point " + en.digits(match["f"])


def _bare_code(match: re.Match[str], lang: Lang) -> str | None:
    before = match.string[max(0, match.start() - 3) : match.start()].rstrip(_QUOTES)
    after = _after(match).lstrip(_QUOTES)
    if lang != "zh" or _QUANTITY_BEFORE.search(before):
        return None
    if after and not after.startswith("号") and not _CODE_END.match(after):
        return None
    return zh.digits(match.group(0))


def _version(match: re.Match[str], lang: Lang) -> str:
    parts = match.group(0).split(".")
    if lang == "zh":
        return "点".join(zh.digits(p) if len(p) > 2 else zh.integer(p) for p in parts)
    return " point ".join(en.digits(p) if len(p) > 2 else en.cardinal(int(p)) for p in parts)


def _approximately(match: re.Match[str], lang: Lang) -> str:
    return "约" if lang == "zh" else "about "


def _number_sign(match: re.Match[str], lang: Lang) -> str:
    if lang == "zh":
        return zh.integer(match["n"]) + "号"
    return "number " + en.cardinal(int(match["n"]))


_EXPRESSION = rf"{NUM}(?:\s*[-+×*÷/]\s*{NUM}){{1,8}}\s*=\s*(?:{NUM})?"
_END = r"(?![\d.,]\d)(?!\d)"

RULES = (
    Rule(
        "code after keyword",
        re.compile(
            rf"(?P<keyword>{_YAO_KEYWORDS}|{_CODE_KEYWORDS})(?P<gap>[是为：:\s]{{0,3}})"
            r"(?P<digits>\d(?:[\d -]*\d)?)"
        ),
        _keyword_digits,
        _keyword_digits,
    ),
    context_rule("arithmetic", rf"(?<![\d.]){_EXPRESSION}", _arithmetic),
    context_rule(
        "fraction",
        r"(?<![\d/.])(?:(?P<whole>\d+)\s)?(?P<num>\d{1,4})\s?[/⁄]\s?(?P<den>\d{1,4})(?![\d/.])",
        _fraction,
    ),
    context_rule("range", rf"(?P<low>{SIGNED})\s*{DASH}\s*(?P<high>{NUM}){_END}", _range),
    context_rule("ordinal 第", r"(?P<prefix>第)\s?(?P<n>\d+)", _ordinal),
    context_rule("ordinal", r"(?<![\d.])(?P<n>\d+)(?:st|nd|rd|th)(?![A-Za-z])", _ordinal),
    context_rule("approximately", r"(?<![0-9A-Za-z])~\s?(?=\d)", _approximately),
    context_rule("number sign", r"#(?P<n>\d+)", _number_sign),
    context_rule("version", r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])", _version),
    context_rule("leading zero", r"(?<![\d.,])0\d+(?![\d.,])(?!\s?[月日号时分点秒])", _code),
    context_rule("long digits", rf"(?<![\d.,])\d{{{_LONG_DIGITS},}}(?![\d.,])", _code),
    context_rule("leading point", r"(?<![0-9A-Za-z.])\.(?P<f>\d+)(?![\d.])", _leading_point),
    context_rule(
        "bare code",
        rf"(?<![\d.,+-])\d{{{_CODE_DIGITS},{_LONG_DIGITS - 1}}}(?![\d.,%‰])",
        _bare_code,
    ),
    context_rule("number", rf"(?P<value>{SIGNED})(?!\d)", _number),
    context_rule("digits", r"\d+", _code),
)
"""Number rules from the most specific to the catch-all that leaves no digit unread."""
