"""Units of measure after a number (or a range): 5km, 3-5 kg, 36.5°C, 16GB, 100 m²."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voxserve.text import en_numbers as en
from voxserve.text import zh_numbers as zh
from voxserve.text.rules import DASH, SIGNED, context_rule
from voxserve.text.script import Lang


@dataclass(frozen=True)
class Measure:
    zh: str
    en_one: str | None
    """None where the symbol is too ambiguous in English (s, t): the letter is left alone."""
    en_many: str | None = None
    liang: bool = True
    """Whether a count of 2 says 两 (两公里), rather than 二 (二摄氏度)."""
    temperature: bool = False


def _m(
    zh_name: str,
    one: str | None,
    many: str | None = None,
    *,
    liang: bool = True,
    temperature: bool = False,
) -> Measure:
    return Measure(zh_name, one, many or (one + "s" if one else None), liang, temperature)


_STORAGE = {"TB": "terabyte", "GB": "gigabyte", "MB": "megabyte", "KB": "kilobyte"}
_MEASURES = {
    "km/h": _m("公里每小时", "kilometer per hour", "kilometers per hour"),
    "m/s": _m("米每秒", "meter per second", "meters per second"),
    "mph": _m("英里每小时", "mile per hour", "miles per hour"),
    "Mbps": _m("兆比特每秒", "megabit per second", "megabits per second"),
    "km2": _m("平方公里", "square kilometer"),
    "m2": _m("平方米", "square meter"),
    "cm2": _m("平方厘米", "square centimeter"),
    "m3": _m("立方米", "cubic meter"),
    "cm3": _m("立方厘米", "cubic centimeter"),
    "km": _m("公里", "kilometer"),
    "cm": _m("厘米", "centimeter"),
    "mm": _m("毫米", "millimeter"),
    "nm": _m("纳米", "nanometer"),
    "μm": _m("微米", "micrometer"),
    "m": _m("米", "meter"),
    "mi": _m("英里", "mile"),
    "ft": _m("英尺", "foot", "feet"),
    "kg": _m("公斤", "kilogram"),
    "mg": _m("毫克", "milligram"),
    "g": _m("克", "gram"),
    "t": _m("吨", None),
    "lb": _m("磅", "pound"),
    "lbs": _m("磅", "pound"),
    "oz": _m("盎司", "ounce"),
    "ml": _m("毫升", "milliliter"),
    "mL": _m("毫升", "milliliter"),
    "L": _m("升", "liter"),
    "°C": _m("摄氏度", "degree Celsius", "degrees Celsius", liang=False, temperature=True),
    "°F": _m("华氏度", "degree Fahrenheit", "degrees Fahrenheit", liang=False, temperature=True),
    "°": _m("度", "degree", liang=False),
    "GHz": _m("G赫兹", "gigahertz", "gigahertz"),
    "MHz": _m("兆赫", "megahertz", "megahertz"),
    "kHz": _m("千赫", "kilohertz", "kilohertz"),
    "Hz": _m("赫兹", "hertz", "hertz"),
    "kWh": _m("千瓦时", "kilowatt hour"),
    "kW": _m("千瓦", "kilowatt"),
    "W": _m("瓦", "watt"),
    "mAh": _m("毫安时", "milliamp hour"),
    "V": _m("伏", "volt"),
    "ms": _m("毫秒", "millisecond"),
    "s": _m("秒", None),
    "min": _m("分钟", "minute"),
    "h": _m("小时", "hour"),
    # Chinese web shorthand: 2w = 两万 (ten thousands); not a unit in English text.
    "w": _m("万", None),
} | {symbol: _m(symbol, name) for symbol, name in _STORAGE.items()}
_ALTERNATIVES = "|".join(re.escape(k) for k in sorted(_MEASURES, key=len, reverse=True))


def _zh_amount(value: str, measure: Measure, *, below_zero: bool = False) -> str:
    if value == "2" and measure.liang:
        return "两"
    if measure.temperature and value.startswith("-"):
        # 零下-5℃ is written by some; it is said once.
        return ("" if below_zero else "零下") + zh.number(value[1:])
    return zh.number(value)


def _en_amount(value: str, measure: Measure) -> str:
    assert measure.en_one is not None and measure.en_many is not None
    name = measure.en_one if value.lstrip("-") == "1" else measure.en_many
    return f"{en.decimal(value)} {name}"


def _measure(match: re.Match[str], lang: Lang) -> str | None:
    measure, low, value = _MEASURES[match["unit"]], match["low"], match["value"]
    if lang == "zh":
        below_zero = match.string.endswith("零下", 0, match.start())
        reading = _zh_amount(value, measure, below_zero=below_zero) + measure.zh
        return f"{_zh_amount(low, measure)}到{reading}" if low else reading
    if measure.en_one is None:
        return None
    reading = _en_amount(value, measure)
    return f"{en.decimal(low)} to {reading}" if low else reading


RULES = (
    context_rule(
        "unit",
        rf"(?:(?P<low>{SIGNED})\s*{DASH}\s*)?(?P<value>{SIGNED})\s?(?P<unit>{_ALTERNATIVES})"
        r"(?![A-Za-z0-9])",
        _measure,
    ),
)
"""Numbers followed by a unit symbol."""
