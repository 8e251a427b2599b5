"""Words whose last syllable is in the neutral tone (轻声) in the standard reading.

The dictionaries read most of these with the full tone (朋友 peng2 you3); the standard reading,
and the Baker voice's labels, have the neutral tone (peng2 you5). Two groups: common words with a
lexical neutral tone, and reduplicated kinship terms and verbs (妈妈, 看看). Words whose neutral
tone depends on the meaning (东西 "thing" / "east and west", 地道, 大意) are left out; reduplicated
adverbs keep their tones (常常, 刚刚, 天天).

Applied by the Mandarin engine after the readings, with tone sandhi: the readings (and the
polyphone benchmark, and ``/v1/phonemize``) keep citation tones.
"""

from __future__ import annotations

from voxserve.text import pinyin

_LEXICAL = (
    "朋友 事情 明白 认识 告诉 衣服 时候 地方 喜欢 漂亮 舒服 清楚 麻烦 休息 豆腐 萝卜 月亮 窗户 "
    "眼睛 脑袋 聪明 消息 意思 知识 觉得 晚上 早上 客气 打扮 打算 打听 收拾 商量 暖和 凉快 "
    "热闹 干净 便宜 结实 老实 踏实 舒坦 利索 闺女 姑娘 丫头 媳妇 女婿 亲戚 邻居 伙计 "
    "师傅 大夫 先生 队伍 部分 故事 规矩 关系 生意 买卖 东家 学问 道理 笑话 名字 胳膊 指甲 "
    "耳朵 鼻子 嘴巴 巴掌 骨头 头发 眉毛 枕头 被子 柜子 窗子 帽子 扫帚 笤帚 算盘 包袱 口袋 "
    "棉花 庄稼 粮食 芝麻 葡萄 石榴 核桃 苍蝇 蚂蚁 蛤蟆 骆驼 狐狸 喇叭 琵琶 玻璃 灯笼 风筝 "
    "答应 吩咐 招呼 咳嗽 吆喝 嘀咕 琢磨 折腾 唠叨 溜达 耽误 应付 称呼 糊涂 苗条 痛快 委屈 "
    "厚道 体面 小气 机灵 马虎 磨蹭 别扭 啰嗦 哆嗦 吓唬 糟蹋 "
    "记得 晓得 认得 懂得 舍得 值得 怪不得 对不起 不好意思 什么 怎么 那么 这么 多么"
)
_REDUPLICATED = (
    "妈妈 爸爸 爷爷 奶奶 姥姥 哥哥 姐姐 弟弟 妹妹 叔叔 舅舅 伯伯 婶婶 姑姑 公公 婆婆 娃娃 宝宝 "
    "星星 猩猩 蝈蝈 谢谢 看看 想想 说说 听听 试试 走走 问问 尝尝 聊聊 坐坐 玩玩 歇歇 找找 "
    "写写 读读 学学 练练 算算 讲讲 谈谈 等等 瞧瞧 摸摸 闻闻 擦擦 洗洗 揉揉 敲敲 翻翻 转转 逛逛"
)
NEUTRAL_LAST: frozenset[str] = frozenset((_LEXICAL + " " + _REDUPLICATED).split())
"""Words read with a neutral last syllable."""


def apply(text: str, readings: list[str]) -> None:
    """Give the last syllable of each word of :data:`NEUTRAL_LAST` in ``text`` the neutral
    tone, in place (longest match, left to right)."""
    longest = max(len(word) for word in NEUTRAL_LAST)
    position = 0
    while position < len(text):
        for length in range(min(longest, len(text) - position), 1, -1):
            if text[position : position + length] in NEUTRAL_LAST:
                last = position + length - 1
                given = pinyin.MARKS.match(text, last + 1) is not None  # the caller's reading
                if readings[last][-1:].isdigit() and not given:
                    readings[last] = readings[last][:-1] + "5"
                position += length
                break
        else:
            position += 1
