"""Money, percentages and phone numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from voxserve.text import en_numbers as en
from voxserve.text import zh_numbers as zh
from voxserve.text.rules import DASH, NUM, SIGNED, WORD_END, context_rule
from voxserve.text.script import Lang


@dataclass(frozen=True)
class Currency:
    zh: str
    en_one: str
    en_many: str
    cents: tuple[str, str] | None = None
    """English names of the hundredth, for currencies read as "three dollars fifty cents"."""


_CENTS = ("cent", "cents")
_PENCE = ("penny", "pence")
_YUAN = Currency("元", "yuan", "yuan")
_USD = Currency("美元", "US dollar", "US dollars", _CENTS)
_HKD = Currency("港元", "Hong Kong dollar", "Hong Kong dollars", _CENTS)
_EUR = Currency("欧元", "euro", "euros", _CENTS)
_GBP = Currency("英镑", "pound", "pounds", _PENCE)
_SYMBOLS = {
    "$": Currency("美元", "dollar", "dollars", _CENTS),
    "US$": _USD,
    "HK$": _HKD,
    "NT$": Currency("新台币", "New Taiwan dollar", "New Taiwan dollars", _CENTS),
    "€": _EUR,
    "£": _GBP,
    "¥": _YUAN,
    "₩": Currency("韩元", "won", "won"),
    "₹": Currency("卢比", "rupee", "rupees"),
}
_CODES = {"USD": _USD, "HKD": _HKD, "EUR": _EUR, "GBP": _GBP, "RMB": _YUAN, "CNY": _YUAN}
_CODES["JPY"] = Currency("日元", "yen", "yen")
# Scales written after an amount, with their English words and Mandarin readings.
_SCALES = {
    "thousand": ("thousand", "千"),
    "million": ("million", "百万"),
    "billion": ("billion", "十亿"),
    "trillion": ("trillion", "万亿"),
    "k": ("thousand", "千"),
    "K": ("thousand", "千"),
    "M": ("million", "百万"),
    "mn": ("million", "百万"),
    "bn": ("billion", "十亿"),
}
_SCALES |= {s: ("", s) for s in ("万", "亿", "千", "百万", "千万", "万亿")}


def _alternatives(names: Iterable[str]) -> str:
    return "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))


def _zh_money(amount: str, scale: str, currency: Currency, negative: bool) -> str:
    if amount == "2" and (not scale or scale[0] in "千万亿"):
        reading = "两"
    else:
        reading = zh.number(amount, trim_zeros=True)
    return ("负" if negative else "") + reading + scale + currency.zh


def _en_subunits(amount: str, currency: Currency) -> str:
    assert currency.cents is not None
    whole, _, fraction = amount.replace(",", "").partition(".")
    units, cents = int(whole or "0"), int(fraction.ljust(2, "0"))
    main = f"{en.cardinal(units)} {currency.en_one if units == 1 else currency.en_many}"
    if not cents:
        return main
    change = f"{en.cardinal(cents)} {currency.cents[0 if cents == 1 else 1]}"
    return change if units == 0 else f"{main} {change}"


def _en_money(amount: str, scale: str, currency: Currency, negative: bool) -> str:
    minus = "minus " if negative else ""
    if scale:
        return f"{minus}{en.decimal(amount)} {scale} {currency.en_many}"
    if currency.cents is not None and len(amount.partition(".")[2]) <= 2:
        return minus + _en_subunits(amount, currency)
    name = currency.en_one if amount == "1" else currency.en_many
    return f"{minus}{en.decimal(amount)} {name}"


def _money(match: re.Match[str], lang: Lang) -> str:
    groups = match.groupdict()
    currency = _SYMBOLS[groups["cur"]] if groups.get("cur") else _CODES[groups["code"]]
    en_scale, zh_scale = _SCALES[groups["scale"].strip()] if groups.get("scale") else ("", "")
    negative = bool(match["sign"])
    if lang == "zh":
        return _zh_money(match["amount"], zh_scale, currency, negative)
    if zh_scale and not en_scale:
        return f"{en.decimal(match['amount'])} {zh_scale} {currency.en_many}"
    return _en_money(match["amount"], en_scale, currency, negative)


def _money_word(match: re.Match[str], lang: Lang) -> str | None:
    if lang != "zh":
        return None
    amount = match["amount"]
    whole = amount.rstrip("0").rstrip(".") if "." in amount else amount
    reading = "两" if whole == "2" else zh.number(amount, trim_zeros=True)
    return ("负" if match["sign"] else "") + reading + match["scale"] + match["word"]


def _percent_zh(value: str, mark: str) -> str:
    name = "百分之" if mark == "%" else "千分之"
    # Trailing zeros are not read (0.70% 百分之零点七), as with money.
    reading = zh.number(value.lstrip("-"), trim_zeros=True)
    return ("负" if value.startswith("-") else "") + name + reading


def _percent_en(value: str, mark: str) -> str:
    return en.decimal(value) + (" percent" if mark == "%" else " per mille")


def _percent(match: re.Match[str], lang: Lang) -> str:
    mark, low, high = match["mark"], match["low"], match["high"]
    if low is None:
        return (_percent_zh if lang == "zh" else _percent_en)(high, mark)
    if lang == "zh":
        return f"{_percent_zh(low, mark)}到{_percent_zh(high, mark)}"
    return f"{en.decimal(low)} to {_percent_en(high, mark)}"


def _phone(match: re.Match[str], lang: Lang) -> str:
    text = match.group(0)
    plus = text.startswith("+")
    groups = re.findall(r"\d+", text)
    if lang == "zh":
        return ("加" if plus else "") + "".join(zh.digits(g, yao=True) for g in groups)
    return ("plus " if plus else "") + ", ".join(en.digits(g) for g in groups)


_SIGN = r"(?P<sign>(?<![0-9A-Za-z.])-)?"
_AMOUNT = rf"(?P<amount>{NUM})"
_SCALE = rf"(?P<scale>\s?(?:{_alternatives(_SCALES)})(?![A-Za-z]))?"
_PHONE = (
    r"(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}"  # mobile: 138 1234 5678
    r"|\+\d{1,3}[\s-]\d{2,4}(?:[\s-]\d{3,4}){1,3}"  # international: +1 555 123 4567
    r"|0\d{2,3}-\d{7,8}"  # landline: 010-12345678
    r"|[48]00-?\d{3}-?\d{4}"  # hotlines: 400-123-4567
    r"|\(\d{3}\)\s?\d{3}-\d{4}|\d{3}[-.]\d{3}[-.]\d{4}"  # North American: (555) 123-4567
)

# A currency named again after a symbol (¥12.50元) is read once.
_AGAIN = "元|块|人民币|美元|欧元|英镑|港元|日元"
# Currency words after an amount: the amount is money, and its trailing zeros are not read.
_WORDS = "元|块钱|块|美元|欧元|英镑|港元|港币|日元|韩元|人民币"

RULES = (
    context_rule("phone", rf"(?<![\d+])(?:{_PHONE})(?!\d)", _phone),
    context_rule(
        "money",
        rf"{_SIGN}(?P<cur>{_alternatives(_SYMBOLS)})\s?{_AMOUNT}{_SCALE}(?:\s?(?:{_AGAIN}))?",
        _money,
    ),
    context_rule(
        "money word", rf"{_SIGN}{_AMOUNT}(?P<scale>[万亿千]*)(?P<word>{_WORDS})", _money_word
    ),
    context_rule(
        "money code", rf"{_SIGN}{_AMOUNT}\s?(?P<code>{_alternatives(_CODES)}){WORD_END}", _money
    ),
    context_rule(
        "percent",
        rf"(?:(?P<low>{SIGNED})\s?[%‰]?\s*{DASH}\s*)?(?P<high>{SIGNED})\s?(?P<mark>[%‰])",
        _percent,
    ),
)
"""Phone numbers first (their digit groups look like ranges), then money, then percentages."""
