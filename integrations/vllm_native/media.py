"""Image content parts -> what vLLM's chat renderer fetches: ``image_url`` parts with a data URL.

vLLM's renderer turns ``{"type": "image_url", "image_url": {"url": ...}}`` parts into the model's
image placeholders and ``multi_modal_data``. It would download any ``http(s)`` URL and read
``file://`` URLs only under an ``allowed_local_media_path``: here a local file (a path or a
``file://`` URL) is read by us and sent as a data URL, and a remote URL goes to vLLM only when the
caller allowed fetching (``fetch_remote_images=True``); otherwise the error says how.

Example:
    >>> part = image_part(0, {"type": "image_url", "image_url": "data:image/png;base64,iVBO"},
    ...                   fetch_remote=False)
    >>> part
    {'type': 'image_url', 'image_url': {'url': 'data:image/png;base64,iVBO'}}
    >>> image_part(0, {"type": "image_url", "image_url": {"url": "https://x.org/a.png"}},
    ...            fetch_remote=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: message 0 has a remote image URL ... pass fetch_remote_images=True ...
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

IMAGE_PART_TYPES = frozenset({"image_url", "image", "input_image"})
"""Content-part types that carry an image (OpenAI chat, OpenAI responses, LangChain v1)."""
OTHER_MEDIA_TYPES = frozenset({"audio", "input_audio", "audio_url", "video", "video_url", "file"})


def image_part(i: int, part: dict[str, Any], *, fetch_remote: bool) -> dict[str, Any]:
    """The ``image_url`` part vLLM receives for an image ``part`` of message ``i``."""
    return {"type": "image_url", "image_url": {"url": image_url(i, part, fetch_remote)}}


def image_url(i: int, part: dict[str, Any], fetch_remote: bool) -> str:
    url = _given_url(i, part)
    scheme = urlparse(url).scheme.lower()
    if scheme == "data":
        return url
    if scheme in ("http", "https"):
        if not fetch_remote:
            raise ValueError(
                f"message {i} has a remote image URL ({url[:80]}), which is not downloaded "
                "unless you allow it: pass fetch_remote_images=True (vLLM then fetches it), or "
                "send the image as a data URL or a local file path"
            )
        return url
    if scheme == "file":
        return file_data_url(i, unquote(urlparse(url).path))
    if scheme and len(scheme) > 1:  # one letter is a Windows drive ("C:\\...")
        raise ValueError(
            f"message {i} has an image URL with scheme {scheme!r}; use a data URL, a local file "
            "path or (with fetch_remote_images=True) an http(s) URL"
        )
    return file_data_url(i, url)


def file_data_url(i: int, path: str) -> str:
    """The image file at ``path`` as a base64 data URL."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValueError(f"message {i} names an image file that does not exist: {path!r}")
    mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        raise ValueError(f"message {i} names {path!r}, which is not an image file ({mime})")
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


def _given_url(i: int, part: dict[str, Any]) -> str:
    kind = part.get("type")
    if kind == "image_url":
        value = part.get("image_url")
        url = value.get("url") if isinstance(value, dict) else value
    elif kind == "input_image":
        url = part.get("image_url")
    else:  # LangChain v1 / data-block image: base64 + mime_type, url, or a path
        if part.get("base64") is not None:
            mime = part.get("mime_type") or "image/png"
            return f"data:{mime};base64,{part['base64']}"
        url = part.get("url") or part.get("path")
    if not isinstance(url, str) or not url:
        raise ValueError(f"message {i} has an image part without a URL, data or path: {part!r}")
    return url
