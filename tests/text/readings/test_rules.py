"""The readings users report most, decided by the whole reader (dictionary, model, rules, list)."""

from __future__ import annotations

import pytest

from voxserve.text.readings import Reader, g2pm_model, jieba_segmenter
from voxserve.text.readings.rules import decide

# The target character sits between two ▁ marks (the CPP benchmark's notation).
CASES = [
    "他是银行的行▁长▁。\tzhang3",
    "他是银行的▁行▁长。\thang2",
    "这条路很▁长▁。\tchang2",
    "他的头发长得很▁长▁。\tchang2",
    "孩子▁长▁大了。\tzhang3",
    "我们去▁调▁查一下。\tdiao4",
    "请把音量▁调▁小一点。\ttiao2",
    "空▁调▁坏了。\ttiao2",
    "你▁得▁马上去医院。\tdei3",
    "这件事我▁得▁好好想想。\tdei3",
    "他跑▁得▁很快。\tde5",
    "他▁得▁了第一名。\tde2",
    "他▁背▁着书包上学。\tbei1",
    "充电更快、寿命▁更▁长。\tgeng4",
    "请▁背▁一下这首诗。\tbei4",
    "孩子在▁数▁星星。\tshu3",
    "▁数▁学很难。\tshu4",
    "▁单▁先生来了。\tshan4",
    "▁仇▁老师很严格。\tqiu2",
    "▁解▁女士打来电话。\txie4",
    "▁曾▁先生是我的朋友。\tzeng1",
    "▁朴▁先生来自韩国。\tpiao2",
    "这个▁单▁子很长。\tdan1",
    "他们有▁仇▁。\tchou2",
    "我▁曾▁经去过北京。\tceng2",
    "请▁重▁新输入密码。\tchong2",
    "这个箱子很▁重▁。\tzhong4",
    "我▁还▁没吃饭。\thai2",
    "请▁还▁给我。\thuan2",
    "他们在银▁行▁工作。\thang2",
    "这样做▁行▁不行？\txing2",
    "我▁觉▁得不错。\tjue2",
    "我睡了一▁觉▁。\tjiao4",
    "音▁乐▁很好听。\tyue4",
    "他很快▁乐▁。\tle4",
    "这个好▁处▁很多。\tchu4",
    "请▁处▁理一下。\tchu3",
    "他们▁都▁来了。\tdou1",
    "首▁都▁北京。\tdu1",
    "请给我一张▁发▁票。\tfa1",
    "她的头▁发▁很长。\tfa4",
    "我们一起▁重▁温这段历史。\tchong2",
    "他▁长▁得很高。\tzhang3",
    "我要▁调▁到上海工作。\tdiao4",
    "这个▁调▁子很好听。\tdiao4",
    "▁解▁放军进城了。\tjie3",
    "他姓▁单▁。\tshan4",
    "▁曾▁国藩是湖南人。\tzeng1",
    "▁区▁先生在吗？\tou1",
]


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(jieba_segmenter(), g2pm_model())


@pytest.mark.parametrize("case", CASES, ids=[case.split("\t")[0] for case in CASES])
def test_hard_polyphone(reader: Reader, case: str) -> None:
    marked, expected = case.split("\t")
    text, index = marked.replace("▁", ""), marked.index("▁")
    assert reader.readings(text)[index] == expected


def test_rules_leave_dictionary_words_alone() -> None:
    # 长 after 很 is "long", but in 队长 (a dictionary word) it stays the reading of "chief".
    assert decide("很长", {0, 1}) == {1: "chang2"}
    assert decide("很长", {0}) == {}


def test_surname_before_a_title_and_after_xing() -> None:
    assert decide("单先生", {0, 1, 2}) == {0: "shan4"}
    assert decide("他姓解", {0, 1, 2}) == {2: "xie4"}
    assert decide("单子", {0, 1}) == {}
