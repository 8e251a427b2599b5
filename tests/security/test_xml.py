"""XML (SSML) parsing refuses DTDs and entities: billion laughs, external entities."""

from __future__ import annotations

import time
from xml.etree import ElementTree

import pytest

from voxserve.errors import InputError, InvalidMarkupError
from voxserve.security import xml

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<speak>&lol9;</speak>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE speak [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<speak>&xxe;</speak>"""

PARAMETER = """<!DOCTYPE speak [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]>
<speak/>"""


def test_plain_ssml_parses_with_predefined_entities() -> None:
    root = xml.parse('<speak>你好 &amp; &lt;b&gt; &#20320;<break time="500ms"/>再见</speak>')
    assert root.tag == "speak" and root.text == "你好 & <b> 你"
    assert root[0].tag == "break" and root[0].get("time") == "500ms"
    assert root[0].tail == "再见"


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL, PARAMETER])
def test_dtds_and_entities_are_refused_quickly(document: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidMarkupError) as refused:
        xml.parse(document)
    assert time.perf_counter() - started < 0.5
    assert "passwd" not in refused.value.message and refused.value.param == "text"
    assert isinstance(refused.value, InputError)


def test_expat_refuses_a_doctype_even_past_the_text_check() -> None:
    """The text check is a first line; the parser's handlers refuse on their own."""
    parser = xml._parser(ElementTree.TreeBuilder())
    with pytest.raises(xml._ForbiddenError):
        parser.Parse(EXTERNAL, True)


@pytest.mark.parametrize("document", ["", "<a>", "<a>&nbsp;</a>", "<a></b>", "plain text"])
def test_malformed_xml_is_an_input_error(document: str) -> None:
    with pytest.raises(InvalidMarkupError):
        xml.parse(document)
