"""Markdown instructions rendered to sanitised HTML."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# html=False escapes raw HTML in the source; markdown-it also refuses javascript:
# links. nh3 then allows only the tags Markdown produces, as a second wall.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def render_markdown(source: str) -> Markup:
    """Sanitised HTML for Markdown; the same instructions are shown to every recruit
    of a track, so the result is cached by its source text."""
    return Markup(_render(source or ""))  # noqa: S704 - sanitised by nh3  # nosec B704


@lru_cache(maxsize=1024)
def _render(source: str) -> str:
    html = _md.render(source)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return clean
