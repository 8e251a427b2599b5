"""Reader stages: alignment with any text, the order of stages, user tables."""

from __future__ import annotations

from voxserve.text.readings import Reader, g2pm_model, jieba_segmenter


def test_one_reading_per_character_with_empty_for_non_han() -> None:
    text = "买了3件T恤，OK吗？"
    readings = Reader(jieba_segmenter(), g2pm_model()).readings(text)
    assert len(readings) == len(text)
    assert readings[0:2] == ["mai3", "le5"]
    assert [readings[i] for i in (2, 4, 6, 7, 8, 10)] == [""] * 6  # 3 T ， O K ？
    assert [readings[i] for i in (3, 5, 9)] == ["jian4", "xu4", "ma5"]


def test_without_model_or_segmenter_the_dictionary_reads() -> None:
    assert Reader().readings("中国") == ["zhong1", "guo2"]


def test_model_decides_polyphones_outside_dictionary_words() -> None:
    def model(text: str) -> list[str | None]:
        return ["zhong4" if char == "中" else None for char in text]

    # 中国 is a dictionary phrase: the model is not asked to change it.
    assert Reader(jieba_segmenter(), model).readings("中国")[0] == "zhong1"
    assert Reader(lambda text: list(text), model).readings("打中")[1] == "zhong4"


def test_tables_apply_longest_match_last_table_wins() -> None:
    reader = Reader(overrides={"行": ("xing2",)})
    assert reader.readings("行长") == ["xing2", "zhang3"]
    user = {"行长": ("xing2", "chang2")}
    assert reader.readings("行长来了", [user])[:2] == ["xing2", "chang2"]
    assert reader.readings("行长", [{"行长": ("hang2", "zhang3")}, user]) == ["xing2", "chang2"]


def test_umlaut_written_v() -> None:
    assert Reader(jieba_segmenter(), g2pm_model()).readings("绿色")[0] == "lv4"
