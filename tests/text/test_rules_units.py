"""Units of measure."""

from __future__ import annotations

import pytest

from voxserve.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("跑了5km", "跑了五公里"),
        ("重2kg", "重两公斤"),
        ("高3m", "高三米"),
        ("长10cm", "长十厘米"),
        ("5mm", "五毫米"),
        ("体温36.5℃", "体温三十六点五摄氏度"),
        ("37°C", "三十七摄氏度"),
        ("-10°C", "零下十摄氏度"),
        ("零下-5℃", "零下五摄氏度"),
        ("时速60km/h", "时速六十公里每小时"),
        ("500ml水", "五百毫升水"),
        ("2L", "两升"),
        ("100m²的房子", "一百平方米的房子"),
        ("3-5km", "三到五公里"),
        ("转90°", "转九十度"),
        ("月薪2w", "月薪两万"),
    ],
)
def test_mandarin_units(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


def test_storage_units_are_spelled_letters_after_a_mandarin_number() -> None:
    assert normalize("16GB内存", "zh") == "十六G B内存"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ran 5 km", "ran five kilometers"),
        ("ran 1 km", "ran one kilometer"),
        ("weighs 2.5 kg", "weighs two point five kilograms"),
        ("it is 20°C", "it is twenty degrees Celsius"),
        ("it is -3.5°C", "it is minus three point five degrees Celsius"),
        ("at 100 km/h", "at one hundred kilometers per hour"),
        ("wait 5 min", "wait five minutes"),
        ("has 16 GB", "has sixteen gigabytes"),
        ("is 6 ft tall", "is six feet tall"),
    ],
)
def test_english_units(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected
