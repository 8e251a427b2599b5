import pytest

from voxserve.text.incremental import SentenceBuffer


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_pieces_of_any_size_give_the_same_sentences(size: int) -> None:
    text = "今天天气真好。我们去公园吧！你觉得呢？Hello there. Pi is 3.14 today! Dr. Smith agrees."
    buffer = SentenceBuffer(max_chars=80)
    out = [s for piece in _pieces(text, size) for s in buffer.feed(piece)] + buffer.flush()
    assert out == [
        "今天天气真好。",
        "我们去公园吧！",
        "你觉得呢？",
        "Hello there.",
        "Pi is 3.14 today!",
        "Dr. Smith agrees.",
    ]


def test_cjk_sentence_is_emitted_at_once() -> None:
    buffer = SentenceBuffer(max_chars=80)
    assert buffer.feed("你好。") == ["你好。"]


def test_ascii_end_waits_for_the_next_character() -> None:
    buffer = SentenceBuffer(max_chars=80)
    assert buffer.feed("It costs 3.") == []
    assert buffer.feed("5 dollars. Next") == ["It costs 3.5 dollars."]
    assert buffer.pending == " Next"


def test_closing_quotes_stay_with_their_sentence() -> None:
    buffer = SentenceBuffer(max_chars=80)
    assert buffer.feed("他说：“好的。”然后走了。") == ["他说：“好的。”", "然后走了。"]


def test_long_text_without_ends_is_cut_at_clauses() -> None:
    buffer = SentenceBuffer(max_chars=20)
    out = buffer.feed("一二三四五六七八九十，一二三四五六七八九十，一二三四五")
    assert out and all(len(s) <= 20 for s in out)
    assert out[0].endswith("，")


def test_newline_ends_a_sentence_and_flush_returns_the_rest() -> None:
    buffer = SentenceBuffer(max_chars=80)
    assert buffer.feed("标题\n正文没有句号") == ["标题"]
    assert buffer.flush() == ["正文没有句号"]
    assert buffer.flush() == []
