"""File names made from call ids: ids are data, never paths.

A call id comes from a file name, a sidecar or a transcript someone else wrote
(``"../../etc/x"``, ``"<svg onload=…>"``, a newline). Every file the toolkit
names after a call goes through :func:`safe_stem`, so it stays in the folder
it was written to.
"""

from __future__ import annotations

import re
from hashlib import sha1

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(call_id: str) -> str:
    """A file-name stem for a call id: letters, digits, ``._-`` only, never empty or hidden.

    An id that had to change gets a short hash of the original, so two ids never share a file.

    Example:
        >>> safe_stem("polite_resolved"), safe_stem("../../x")
        ('polite_resolved', 'x-9bdbf2')
    """
    safe = _UNSAFE.sub("_", call_id).strip("._") or "call"
    if safe != call_id:
        safe += "-" + sha1(call_id.encode("utf-8")).hexdigest()[:6]
    return safe
