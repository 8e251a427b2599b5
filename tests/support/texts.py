"""Texts for tests that need many distinct sentences (no two units alike, nothing cached)."""

from __future__ import annotations

SENTENCES = (
    "清晨的阳光洒在湖面上，微风吹过，泛起一圈圈涟漪。",
    "城市的地铁每天运送数百万乘客，准时而有序。",
    "图书馆里很安静，只有翻书的声音偶尔响起。",
    "科学家们正在研究如何让电池充电更快、寿命更长。",
    "孩子们在操场上奔跑，笑声传得很远很远。",
    "请在会议开始前十分钟到达，并将手机调成静音。",
)


def chapter(chars: int) -> str:
    """Distinct numbered sentences of about ``chars`` characters (the same text every call)."""
    parts: list[str] = []
    n = 0
    while sum(map(len, parts)) < chars:
        n += 1
        parts.append(f"第{n}句。{SENTENCES[n % len(SENTENCES)]}")
    return "".join(parts)
