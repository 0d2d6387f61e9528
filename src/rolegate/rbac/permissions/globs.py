"""``$glob`` matching with picomatch semantics, and the glob reasoning the boundary needs.

wcmatch is configured to behave like picomatch, which Infisical uses (``isMatch(value,
glob, {strictSlashes: false})``): globstar, braces, extglobs and a leading ``!`` negation
on; wildcards do not match a leading dot (picomatch's default ``dot: false``); FORCEUNIX
keeps it case-sensitive with ``/`` on every platform. Where wcmatch and picomatch
disagree, picomatch's rules are emulated by rewriting the pattern. See
``rolegate.rbac.permissions.rules`` for the full story.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, Protocol

from wcmatch import glob as wcglob

_GLOB_FLAGS: Final = wcglob.GLOBSTAR | wcglob.BRACE | wcglob.EXTGLOB | wcglob.FORCEUNIX


class _Matcher(Protocol):
    def match(self, filename: str) -> bool: ...


def split_negation(pattern: str) -> tuple[bool, str]:
    # picomatch toggles on each leading "!" ("!(" opens an extglob instead) and negates
    # the whole match. wcmatch's NEGATE differs: its implied "**" skips dot-leading
    # names, so a deny on "!PUBLIC_*" would not cover ".hidden".
    negated = False
    while pattern.startswith("!") and not pattern.startswith("!("):
        negated, pattern = not negated, pattern[1:]
    return negated, pattern


def _as_wcmatch(body: str) -> list[str]:
    """wcmatch patterns matching what picomatch matches with ``body`` (canonical values)."""
    while body.startswith("/**/**/"):
        body = body[3:]  # picomatch collapses repeated globstars
    # A leading "/**/" needs at least one segment in picomatch ("/**/x" skips "/x").
    if body.startswith("/**/") and any(seg != "**" for seg in body[4:].split("/")):
        body = "/*" + body
    patterns = [body]
    base = body
    while base.endswith("/**/**"):
        base = base[:-3]
    # A trailing "/**" also matches its base ("a/**" matches "a"), except after a star
    # ("a*/**" does not match "ab"); wcmatch never does, so the base is added.
    if base.endswith("/**") and len(base) > 3 and base[-4] != "*":
        patterns.append(base[:-3])
    return patterns


@lru_cache(maxsize=2048)
def compiled_glob(body: str) -> _Matcher:
    matcher: _Matcher = wcglob.compile(_as_wcmatch(body), flags=_GLOB_FLAGS)
    return matcher


def glob_matches(value: str, pattern: str) -> bool:
    """Whether ``value`` matches ``pattern`` the way Infisical's ``$glob`` does."""
    if not value or not pattern:
        return False
    negated, body = split_negation(pattern)
    return negated != bool(compiled_glob(body).match(value))


# Characters that may make a pattern match something other than itself. Listing too
# many only makes the boundary check more conservative, never unsound.
_MAGIC: Final = frozenset("*?[]{}()!@+|\\")


def _literal_prefix(pattern: str) -> str | None:
    """The text before the first magic character, or None when matches may not start with it.

    Every match starts with it, except that a trailing "/" may be missing ("a/**"
    matches "a"); callers allow for that.
    """
    if pattern.startswith("!"):
        return None  # a negation's matches share no prefix with it
    end = next((i for i, ch in enumerate(pattern) if ch in _MAGIC), len(pattern))
    prefix = pattern[:end]
    # wcmatch normalises "//" and treats "." segments specially: don't reason about them.
    if "//" in prefix or any(seg in (".", "..") for seg in prefix.split("/")):
        return None
    return prefix


def is_literal(pattern: str) -> bool:
    """Whether ``pattern`` matches exactly one canonical value: itself."""
    if pattern == "/":
        return True
    return bool(pattern) and _literal_prefix(pattern) == pattern and not pattern.endswith("/")


def _no_leading_dots_from(pattern: str, start: int) -> bool:
    """Whether no match of ``pattern`` has a segment starting with ``.`` from ``start`` on.

    Wildcards never produce a leading dot (no DOTMATCH), so only literal dots can:
    refuse any dot in the magic part and any literal segment that starts with one.
    """
    prefix = _literal_prefix(pattern)
    if prefix is None or len(prefix) < start:
        return False
    literal = prefix[start:]
    return not literal.startswith(".") and "/." not in literal and "." not in pattern[len(prefix) :]


def glob_within(child: str, parent: str) -> bool:
    """Conservatively: does every value matching ``child`` also match ``parent``?"""
    if child == parent:
        return True
    # "**" matches every value without a dot-leading segment, absolute paths included.
    if parent == "**":
        return _no_leading_dots_from(child, 0)
    base = parent[:-3]
    if parent.endswith("/**") and (base == "" or is_literal(base)):
        # "<base>/**" matches <base> and everything under it except dot-leading segments.
        prefix = _literal_prefix(child)
        return (
            prefix is not None
            and prefix.startswith(base + "/")
            and _no_leading_dots_from(child, len(base) + 1)
        )
    return False


def globs_disjoint(a: str, b: str) -> bool:
    """Conservatively: can no value match both non-literal globs ``a`` and ``b``?"""
    prefix_a, prefix_b = _literal_prefix(a), _literal_prefix(b)
    if prefix_a is None or prefix_b is None:
        return False
    # Every match starts with its prefix minus a trailing "/" ("a/**" matches "a").
    head_a, head_b = prefix_a.rstrip("/"), prefix_b.rstrip("/")
    return not (head_a.startswith(head_b) or head_b.startswith(head_a))
