"""File names for the portal files (`services/<name>.json`, `teams/<name>.md`), derived from
catalog ids that can hold anything: slashes, 300 characters, names that differ only in case.

An id that is already a safe, short file name (letters, digits, `.`, `_`, `-`; at most 64
characters; not `index`) is used as it is: `payments-api` -> `payments-api.json`. Any other
id gets a readable slug and a short hash of the id: `foo/bar` -> `foo_bar-cc5d46bdb4.json`.
Names are then checked across the whole set, case-insensitively (macOS and Windows file
systems ignore case): ids that would still share a name get the full hash instead, so two
ids never share a file. `index.json` in each folder maps every id to its file.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RESERVED = {"index"}  # the index file's own name
SLUG_LENGTH = 48
SHORT_HASH = 10
INDEX_FILE = "index.json"


def _slug(entity_id: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", entity_id).strip("._-")[:SLUG_LENGTH]
    return slug.rstrip("._-") or "id"


def _hashed(entity_id: str, length: int) -> str:
    digest = hashlib.sha256(entity_id.encode("utf-8")).hexdigest()[:length]
    return f"{_slug(entity_id)}-{digest}"


def _plain(entity_id: str) -> bool:
    return bool(PLAIN.fullmatch(entity_id)) and entity_id.lower() not in RESERVED


def file_stems(ids: Iterable[str]) -> dict[str, str]:
    """id -> file name without its suffix; distinct ids get distinct names, even ignoring
    case, each at most 113 characters."""
    ids = sorted(set(ids))
    plain_lower = Counter(i.lower() for i in ids if _plain(i))
    stems = {
        i: i if _plain(i) and plain_lower[i.lower()] == 1 else _hashed(i, SHORT_HASH) for i in ids
    }
    clashes = Counter(stem.lower() for stem in stems.values())
    return {i: _hashed(i, 64) if clashes[stem.lower()] > 1 else stem for i, stem in stems.items()}
