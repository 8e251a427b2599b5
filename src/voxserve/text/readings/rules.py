"""Context rules for polyphones that dictionaries and the model read wrong when they stand alone.

Each rule is a pattern whose group ``t`` is the character it decides. Rules only decide a
character that is not part of a dictionary word (队长 keeps zhang3 whatever follows it), so they
can be short and specific. The rules cover the readings users report most: 长 "long" after a
degree word, 更 "more", 调 "adjust" before a direction, 得 "must" after a subject, 得 as the
complement particle, 背 "carry", 数 "count", and surnames before a title (单先生 shan4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DEGREE = "很|太|真|好|多|挺|更|最|越|蛮|非常|特别|那么|这么|比较|相当|有多"
_SUBJECT = "我|你|您|他|她|它|咱|们|谁|大家|自己|就|还|也|都|总|又|非|只|才|必"
_GAINS = "了到出知奖分病手逞罪意当力体失宠以悉胜名益利"
_COMPLEMENT = (
    "很|太|真|非常|特别|更|极|越|那么|这么|多|挺|不|好|满|快|慢|清|高|远|早|晚|厉害|要命|"
    "一塌糊涂|津津有味"
)
_TITLES = (
    "先生|女士|小姐|老师|教授|总|经理|主任|医生|大夫|师傅|同学|局长|院长|校长|部长|书记|董事长|"
    "阿姨|叔叔|大爷|奶奶|爷爷|某|氏|姓"
)
SURNAMES = {
    "单": "shan4",
    "仇": "qiu2",
    "解": "xie4",
    "曾": "zeng1",
    "朴": "piao2",
    "区": "ou1",
    "查": "zha1",
    "盖": "ge3",
    "覃": "qin2",
    "召": "shao4",
    "缪": "miao4",
    "员": "yun4",
    "种": "chong2",
    "繁": "po2",
    "乐": "yue4",
    "尉": "yu4",
    "黑": "he4",
    "折": "she2",
    "洗": "xian3",
    "那": "na1",
}
"""Characters read differently as a surname, with that reading."""


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    reading: str


def _rule(pattern: str, reading: str) -> Rule:
    return Rule(re.compile(pattern), reading)


_SURNAME_CLASS = "".join(SURNAMES)
RULES: tuple[Rule, ...] = (
    _rule(f"(?:{_DEGREE})(?P<t>长)", "chang2"),
    _rule("(?P<t>调)(?=[大小高低亮暗快慢松紧])", "tiao2"),
    _rule(f"(?P<t>得)(?=(?:{_COMPLEMENT}))", "de5"),
    _rule(f"(?:{_SUBJECT})(?P<t>得)(?![{_GAINS}])", "dei3"),
    _rule("(?P<t>背)(?=[着起走负包])", "bei1"),
    _rule("(?P<t>更)(?![新改换正衣迭替生名])", "geng4"),
    _rule("(?P<t>数)(?=一数|[着星钱]|不[清过完]|得[清过完]|到[一二三四五六七八九十])", "shu3"),
)
"""Applied in order; a later rule wins over an earlier one on the same character."""

SURNAME_BEFORE_TITLE = re.compile(
    f"(?P<t>[{_SURNAME_CLASS}])(?=(?:{_TITLES}))|姓(?P<after>[{_SURNAME_CLASS}])"
)


def decide(text: str, open_positions: set[int]) -> dict[int, str]:
    """Readings the rules give to characters of ``text`` at ``open_positions``."""
    decided: dict[int, str] = {}
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            if match.start("t") in open_positions:
                decided[match.start("t")] = rule.reading
    for match in SURNAME_BEFORE_TITLE.finditer(text):
        group = "t" if match.group("t") else "after"
        position = match.start(group)
        if position in open_positions:
            decided[position] = SURNAMES[text[position]]
    return decided
