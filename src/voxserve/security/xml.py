"""XML from clients (SSML), parsed with no DTDs and no entities.

Entity expansion is how a few hundred bytes become gigabytes ("billion laughs") and how a
document reads local files or URLs (external entities). Here a document that declares a DOCTYPE
or an entity is refused before anything is expanded: by a text check in front (explicit and
cheap) and by expat handlers that raise on any declaration or external reference (the same
hooks as ``defusedxml``, without the dependency). The five predefined entities (``&amp;``...)
and character references (``&#20320;``) still work; any other reference is an error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import NoReturn
from xml.parsers import expat

from voxserve.errors import InvalidMarkupError

_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_REFUSED = "DTDs, entity declarations and external references are not accepted"


class _ForbiddenError(Exception):
    pass


def _forbid(*_: object) -> NoReturn:
    raise _ForbiddenError


def secure_parser() -> expat.XMLParserType:
    """An expat parser that raises on any DTD, entity declaration or external reference (the
    caller sets the element and data handlers; :func:`parse_with` runs it)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    return parser


def parse_with(parser: expat.XMLParserType, text: str, *, param: str = "text") -> None:
    """Feed ``text`` to a :func:`secure_parser`; InvalidMarkupError for a DTD, an entity
    declaration, an undefined entity reference or malformed XML."""
    if _DECLARATION.search(text):
        raise InvalidMarkupError(_REFUSED, param=param)
    try:
        parser.Parse(text.encode("utf-8"), True)
    except _ForbiddenError:
        raise InvalidMarkupError(_REFUSED, param=param) from None
    except expat.ExpatError as exc:
        raise InvalidMarkupError(f"malformed XML ({exc})", param=param) from None


def _parser(builder: ET.TreeBuilder) -> expat.XMLParserType:
    parser = secure_parser()
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    return parser


def parse(text: str, *, param: str = "text") -> ET.Element:
    """The root element of ``text``; InvalidMarkupError for a DTD, an entity declaration, an
    undefined entity reference or malformed XML."""
    if _DECLARATION.search(text):
        raise InvalidMarkupError(_REFUSED, param=param)
    builder = ET.TreeBuilder()
    try:
        _parser(builder).Parse(text, True)
        return builder.close()
    except _ForbiddenError:
        raise InvalidMarkupError(_REFUSED, param=param) from None
    except (expat.ExpatError, AssertionError) as exc:
        # TreeBuilder asserts on an empty document; expat says where the XML broke.
        raise InvalidMarkupError(f"malformed XML ({exc})", param=param) from None
