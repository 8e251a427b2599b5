"""The web page: ``/`` is ``web/index.html``; ``/static/NAME`` the page's scripts and styles."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
"""The page's files, shipped inside the package (package-data ``web/*``); no build step."""

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

# Everything the page needs is served from here: the policy makes a stray CDN link fail loudly.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Revalidate every time (FileResponse sends ETag and Last-Modified), so a new release shows.
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _file(name: str) -> FileResponse:
    """A file directly inside WEB_DIR, or 404: no subfolders, no dot files, no escaping it."""
    path = WEB_DIR / name
    media_type = _MEDIA_TYPES.get(path.suffix)
    if "/" in name or name.startswith(".") or media_type is None or not path.is_file():
        raise HTTPException(404, f"no such file: /static/{name}")
    return FileResponse(path, media_type=media_type, headers=_HEADERS)


@router.api_route("/", methods=["GET", "HEAD"], summary="The web page")
def index() -> FileResponse:
    return _file("index.html")


@router.api_route(
    "/static/{name:path}", methods=["GET", "HEAD"], summary="The web page's scripts and styles"
)
def static(name: str) -> FileResponse:
    return _file(name)
