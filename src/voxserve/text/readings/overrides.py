"""The maintained override list: words whose reading every earlier stage gets wrong.

Each entry was checked against the Contemporary Chinese Dictionary (现代汉语词典) reading; entries
are whole words, matched longest first anywhere in a run of Han characters.
"""

from __future__ import annotations

OVERRIDES: dict[str, tuple[str, ...]] = {
    "吡咯": ("bi3", "luo4"),
    "落差": ("luo4", "cha1"),
    "偏差": ("pian1", "cha1"),
    "误差": ("wu4", "cha1"),
    "温差": ("wen1", "cha1"),
    "时差": ("shi2", "cha1"),
    "一觉": ("yi1", "jiao4"),
    "睡觉": ("shui4", "jiao4"),
    "午觉": ("wu3", "jiao4"),
    "还给": ("huan2", "gei3"),
    "重温": ("chong2", "wen1"),
    "长大": ("zhang3", "da4"),
    "头发": ("tou2", "fa4"),
    "理发": ("li3", "fa4"),
    "银行": ("yin2", "hang2"),
    "行长": ("hang2", "zhang3"),
    "空调": ("kong1", "tiao2"),
    "音乐": ("yin1", "yue4"),
    "快乐": ("kuai4", "le4"),
    "钻井": ("zuan1", "jing3"),
    "勾当": ("gou4", "dang4"),
    "挣脱": ("zheng4", "tuo1"),
    "曾国藩": ("zeng1", "guo2", "fan1"),
}
