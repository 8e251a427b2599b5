"""The SSML subset: every element, its attribute values, and hostile or broken documents."""

from __future__ import annotations

import pytest

from voxserve.errors import InvalidMarkupError, InvalidPinyinError
from voxserve.text import ssml
from voxserve.text.ssml import Segment, Style


def segments(body: str, root: str = "<speak>") -> list[Segment]:
    return ssml.parse(f"{root}{body}</speak>")


def texts(body: str) -> list[str]:
    return [s.text for s in segments(body)]


def test_detection() -> None:
    assert ssml.is_ssml("  <speak>你好</speak>") and not ssml.is_ssml("你好 <speak>")
    assert ssml.is_ssml(BILLION_LAUGHS) and ssml.is_ssml(EXTERNAL)


def test_plain_text_with_entities_keeps_document_spans() -> None:
    doc = "<speak>你好&amp;再见&#20320;</speak>"
    [segment] = ssml.parse(doc)
    assert segment.text == "你好&再见你"
    assert [doc[a:b] for a, b in segment.spans] == ["你", "好", "&amp;", "再", "见", "&#20320;"]


def test_p_and_s_split_and_p_pauses() -> None:
    found = segments("<p><s>第一句</s><s>第二句</s></p><p>第三段</p>")
    assert [s.text for s in found] == ["第一句", "第二句", "第三段"]
    assert [s.pause_after for s in found] == [0.0, ssml.PARAGRAPH_PAUSE_S, ssml.PARAGRAPH_PAUSE_S]


@pytest.mark.parametrize(
    ("attrs", "seconds"),
    [
        ('time="500ms"', 0.5),
        ('time="1.5s"', 1.5),
        ('time="60s"', 10.0),  # capped
        ('strength="x-strong"', 1.2),
        ('strength="none"', 0.0),
        ("", 0.4),
    ],
)
def test_break(attrs: str, seconds: float) -> None:
    found = segments(f"前<break {attrs}/>后")
    assert [s.text for s in found] == ["前", "后"]
    assert found[0].pause_after == pytest.approx(seconds)


def test_a_leading_break_is_silence_first() -> None:
    first = segments('<break time="300ms"/>你好')[0]
    assert first.text == "" and first.pause_after == pytest.approx(0.3)


def test_prosody_nests_and_returns() -> None:
    found = segments(
        '外<prosody rate="slow" pitch="+2st" volume="+6dB">慢<prosody rate="200%">快</prosody>'
        "</prosody>外"
    )
    styles = {s.text: s.style for s in found}
    assert styles["外"] == Style()
    assert styles["慢"] == Style(rate=0.75, pitch=2.0, volume=6.0)
    assert styles["快"] == Style(rate=1.5, pitch=2.0, volume=6.0)


@pytest.mark.parametrize(
    ("attrs", "style"),
    [
        ('rate="x-fast"', Style(rate=1.7)),
        ('rate="+20%"', Style(rate=1.2)),
        ('rate="80%"', Style(rate=0.8)),
        ('rate="1.1"', Style(rate=1.1)),
        ('pitch="x-low"', Style(pitch=-6.0)),
        ('volume="soft"', Style(volume=-6.0)),
    ],
)
def test_prosody_values(attrs: str, style: Style) -> None:
    assert segments(f"<prosody {attrs}>字</prosody>")[0].style == pytest.approx(style)


def test_emphasis_express_as_and_voice() -> None:
    found = segments(
        '<emphasis level="strong">重</emphasis>'
        '<mstts:express-as xmlns:mstts="https://www.w3.org/2001/mstts" style="cheerful" '
        'styledegree="1.5">开心</mstts:express-as><voice name="en-joe">Hi.</voice>'
    )
    assert found[0].style == Style(rate=0.88, pitch=2.0, volume=3.0)
    assert found[1].style == Style(emotion="happy", intensity=1.5)
    assert found[2].style == Style(voice="en-joe") and found[2].text == "Hi."


@pytest.mark.parametrize(
    ("kind", "text", "spoken"),
    [
        ("cardinal", "2024", "两千零二十四"),
        ("digits", "2024", "二零二四"),
        ("telephone", "110", "幺幺零"),
        ("characters", "AB1", "A B 一"),
        ("date", "2024-05-01", "2024-05-01"),
        ("time", "10:30", "10:30"),
        ("name", "单雄信", "[单](shan4)雄信"),
    ],
)
def test_say_as(kind: str, text: str, spoken: str) -> None:
    assert texts(f'<say-as interpret-as="{kind}">{text}</say-as>') == [spoken]


def test_sub_and_phoneme_become_what_voxserve_reads() -> None:
    found = texts(
        '<sub alias="万维网联盟">W3C</sub>的<phoneme alphabet="py" ph="hang2 zhang3">行长</phoneme>'
        '和<phoneme alphabet="sapi" ph="chong 2 qing 4">重庆</phoneme>'
    )
    assert found == ["万维网联盟的[行长](hang2 zhang3)和[重庆](chong2 qing4)"]


def test_unknown_elements_are_dropped_their_text_kept() -> None:
    assert texts('<foo:bar xmlns:foo="urn:x">保留</foo:bar><audio src="x">也保留</audio>') == [
        "保留也保留"
    ]


@pytest.mark.parametrize(
    ("document", "names"),
    [
        ("<speak><p>未闭合</speak>", "malformed"),
        ("<div>不是speak</div>", "<div>"),
        ('<speak><break time="soon"/></speak>', "break"),
        ('<speak><prosody rate="very">x</prosody></speak>', "prosody"),
        ('<speak><prosody pitch="+2 parsecs">x</prosody></speak>', "prosody"),
        ("<speak><sub>无别名</sub></speak>", "<sub>"),
        ('<speak><phoneme alphabet="ipa" ph="x">行</phoneme></speak>', "phoneme"),
        ('<speak><phoneme ph="hang2">行长</phoneme></speak>', "phoneme"),
        ('<speak><mstts:express-as style="sleepy">x</mstts:express-as></speak>', "express-as"),
        ("<speak><voice>x</voice></speak>", "<voice>"),
        ('<speak><sub alias="a"><b>x</b></sub></speak>', "inside <sub>"),
    ],
)
def test_bad_documents_name_what_is_wrong(document: str, names: str) -> None:
    with pytest.raises(InvalidMarkupError) as refused:
        ssml.parse(document)
    assert names in refused.value.message and refused.value.param == "text"


def test_a_bad_syllable_is_named() -> None:
    with pytest.raises(InvalidPinyinError, match="hxng2"):
        ssml.parse('<speak><phoneme alphabet="py" ph="hxng2">行</phoneme></speak>')


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<speak>&lol2;</speak>"
)
EXTERNAL = '<!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]><speak>&x;</speak>'


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        EXTERNAL,
        "<speak>&undefined;</speak>",
        "<speak>" + "<p>" * 200_000 + "深" + "</p>" * 200_000 + "</speak>",  # over 1 MB of nesting
        "<speak>" + "<s>x</s>" * 10_001 + "</speak>",
    ],
)
def test_hostile_documents_are_refused(document: str) -> None:
    with pytest.raises(InvalidMarkupError):
        ssml.parse(document)
