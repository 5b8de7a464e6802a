"""Plain-text templates: mail bodies and subjects, the takedown request texts.

They are rendered by the "text" template engine (settings.TEMPLATES), which escapes
nothing, since its output is not HTML. Django marks whatever a template renders as safe
HTML; for text that mark would be a lie (an address a reporter typed would then act as
markup wherever the text is shown in a page), so it is dropped here: the result is a
plain ``str``, which HTML templates escape like any other value.
"""

from __future__ import annotations

from typing import Any

from django.template import engines


def render_text(template_name: str, context: dict[str, Any] | None = None) -> str:
    rendered = engines["text"].get_template(template_name).render(context)
    # str.__str__ gives an exact str (str() would return the SafeString itself).
    return str.__str__(rendered)
