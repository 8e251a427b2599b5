"""The fixed texts every benchmark speaks."""

from __future__ import annotations

ZH_PARAGRAPH = (
    "近年来，人工智能技术发展迅速，语音合成已经广泛应用于导航、客服、有声读物和智能助手等领域。"
    "我们希望合成的声音自然流畅，富有情感，让用户听起来更加舒服。欢迎大家现在就来试试吧！"
)
"""87 characters of Mandarin: the standard request of the benchmarks."""

EN_PARAGRAPH = (
    "The weather was clear this morning, so we walked along the river and talked about our plans."
)

_ZH_SENTENCES = (
    "清晨的阳光洒在湖面上，微风吹过，泛起一圈圈涟漪。",
    "城市的地铁每天运送数百万乘客，准时而有序。",
    "图书馆里很安静，只有翻书的声音偶尔响起。",
    "他在二零二四年三月五日完成了第一次马拉松比赛。",
    "这家餐厅的招牌菜是红烧肉，价格是每份四十八元。",
    "科学家们正在研究如何让电池充电更快、寿命更长。",
    "孩子们在操场上奔跑，笑声传得很远很远。",
    "天气预报说，明天最高气温二十六度，午后有雷阵雨。",
    "请在会议开始前十分钟到达，并将手机调成静音。",
    "这座古老的桥已经有三百多年的历史，依然坚固。",
    "音乐会结束时，观众起立鼓掌，久久不愿离去。",
    "她每天早上读半个小时的书，已经坚持了五年。",
)


EN_SENTENCES = (
    "The weather was clear this morning, so we walked along the river.",
    "Please call me back when you get this message.",
    "The train leaves at half past eight tomorrow morning.",
    "She bought three apples and two oranges at the market.",
    "Our team finished the project two weeks ahead of schedule.",
    "Reading a good book is the best way to spend a rainy afternoon.",
    "The library is quiet except for the sound of turning pages.",
    "Scientists are working on batteries that charge faster and last longer.",
    "The children ran across the playground, laughing all the way.",
    "Tomorrow will be warm, with thunderstorms in the late afternoon.",
    "Please arrive ten minutes early and switch off your phone.",
    "The old stone bridge has stood over the river for three hundred years.",
)
"""Twelve varied English sentences (the English counterpart of ``_ZH_SENTENCES``)."""


def zh_text(chars: int) -> str:
    """Varied Mandarin sentences, whole sentences only, about ``chars`` characters long."""
    out: list[str] = []
    total = 0
    index = 0
    while total < chars:
        sentence = _ZH_SENTENCES[index % len(_ZH_SENTENCES)]
        out.append(sentence)
        total += len(sentence)
        index += 1
    return "".join(out)
