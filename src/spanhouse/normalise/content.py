"""Content policy: whether prompt/completion content is kept, how much of it, and what is masked.

What counts as content: the attributes each convention's table marks as content (e.g.
`gen_ai.input.messages`, `llm.input_messages.*`, `input.value`, `ai.prompt*`,
`traceloop.entity.input`), the attributes of GenAI content events (`gen_ai.user.message`,
`gen_ai.choice`, ...), and the canonical columns InputMessages, OutputMessages, ToolArguments,
ToolResult and RetrievalQuery.

  * capture=False: content attributes are removed from SpanAttributes (and SpanAttributeTypes),
    content events keep only their non-content attributes, the canonical content columns stay
    empty. Nothing else changes.
  * capture=True: every redaction runs on the raw content values before the canonical columns
    are built from them, so both the stored attributes and the columns are masked. A value
    holding JSON is decoded, masked string by string and re-encoded when a pattern matched (or
    when it holds `\\u` escapes, which could hide a match); other values, and JSON nested deeper
    than `json_values.MAX_DEPTH`, are masked as text (JSON's escapes of printable ASCII
    characters undone first, so `\\u0040` cannot hide an `@` there either). Patterns therefore
    should not rely on `^`/`$` anchors.
  * max_bytes caps each canonical content column (UTF-8 bytes, default 16 KiB: an AI span's
    prompt is usually far below that, and a lookup decompresses whole granules of these
    columns). Message columns stay valid JSON: the longest strings are cut first, to a common
    length, and each cut part gets `"truncated": true`; when even the structure does not fit,
    the oldest messages are dropped and the first kept one is marked. Raw attributes are not cut.

Speed: a regex costs ~5-20 ns per character here, far more than the normaliser's budget, so each
`Redaction` states ASCII characters any match must contain (`requires`, "0" meaning any digit,
a repeated character meaning "at least that many"; pick characters rare in prose, such as `@`,
`_`, `-`, digits or capitals, so that most values skip every pattern). One C-level pass over a
value (`bytes.translate`) finds which of those characters occur, and only the patterns whose
requirements are met are run. Default patterns: e-mail addresses; API keys and tokens
(`sk-...` OpenAI/Anthropic style, AWS `AKIA`/`ASIA` key ids, GitHub `ghp_`/`gho_`/`ghu_`/
`ghs_`/`ghr_`/`github_pat_`, Slack `xox?-`, `Bearer <token>`); payment card numbers (13-19
digits, optionally grouped by spaces or dashes, Luhn-checked so order numbers and timestamps
survive). Every default pattern bounds its repetitions, except one that ends the pattern (it
consumes what it masks, and the scan resumes after it): a match attempt examines a bounded
number of characters, so redaction time grows linearly with a value, however it was built to
make a pattern backtrack. Extra patterns (`content_redact_patterns`) are held to the same rule
when settings load (`regex_bounds.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from spanhouse.normalise import json_values
from spanhouse.normalise.truncate import fit

Replacement = str | Callable[[re.Match[str]], str]

TRUNCATION_MARK = "…[truncated]"
_DIGITS = b"0123456789"
_JSON_START = ("[", "{")
# In JSON masked as text: an escaped printable ASCII character (`\u0040` for `@`), or an escaped
# backslash, matched first so that `\\u0040` (a backslash, then the text "u0040") stays as it is.
_ASCII_ESCAPE = re.compile(r"\\\\|\\u00([2-7][0-9a-fA-F])")
_KEPT_ESCAPED = frozenset('"\\')  # unescaped, these would end the string or start an escape


class _TooDeep(Exception):
    """A JSON value nests deeper than json_values.MAX_DEPTH: it is masked as text."""


@dataclass(frozen=True, slots=True)
class Redaction:
    """A pattern masked in content. `requires`: ASCII characters every match contains (see module doc)."""

    name: str
    pattern: re.Pattern[str]
    replacement: Replacement
    requires: str = ""


def _luhn_masked(match: re.Match[str]) -> str:
    """[REDACTED:card] when the digits pass the Luhn check (order numbers, timestamps stay)"""
    digits = [int(c) for c in match.group() if c.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return "[REDACTED:card]" if total % 10 == 0 else match.group()


DEFAULT_REDACTIONS: tuple[Redaction, ...] = (
    # bounded by RFC 5321/1035 (a local part of 64 characters, labels of 63; a longer run before
    # the "@" has its last 64 masked); possessive, as a run given back cannot be followed by "@" or "."
    Redaction("email", re.compile(r"[A-Za-z0-9._%+-]{1,64}+@[A-Za-z0-9-]{1,63}+(?:\.[A-Za-z0-9-]{1,63}+){0,16}"
                                  r"\.[A-Za-z]{2,63}+"), "[REDACTED:email]", "@"),
    Redaction("openai_style_key", re.compile(r"sk-(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{20,}"),
              "[REDACTED:api_key]", "-"),
    Redaction("aws_access_key_id", re.compile(r"A(?:KIA|SIA)[0-9A-Z]{16}(?![0-9A-Z])"),
              "[REDACTED:api_key]", "AI"),
    Redaction("github_token", re.compile(r"gh(?:[pousr]_[A-Za-z0-9]{36,}|ithub_pat_[A-Za-z0-9_]{22,})"),
              "[REDACTED:api_key]", "_"),
    Redaction("slack_token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"), "[REDACTED:api_key]", "-"),
    Redaction("bearer_token", re.compile(r"Bearer\s{1,64}[A-Za-z0-9._~+/=-]{16,}"), "Bearer [REDACTED:token]",
              "B"),
    Redaction("card_number", re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])"), _luhn_masked,
              "0" * 13),
)


@dataclass(frozen=True)
class ContentPolicy:
    """How content is kept. Frozen; build one from settings at start-up and pass it to `normalise_batch`.

    Args:
        capture: keep content at all (False removes it, see module doc).
        max_bytes: cap on each canonical content column, in UTF-8 bytes.
        redact: patterns masked in content before anything is stored.
        deduplicate: store messages and long content attributes once per tenant in
            message_content, referenced by hash (content_store.py); False (the default here; the
            content_dedup setting turns it on) keeps them in the span row.
    """

    capture: bool = True
    max_bytes: int = 16 * 1024
    redact: tuple[Redaction, ...] = DEFAULT_REDACTIONS
    deduplicate: bool = False
    _map: bytes = field(init=False, repr=False, compare=False)
    _delete: bytes = field(init=False, repr=False, compare=False)
    _always: tuple[Redaction, ...] = field(init=False, repr=False, compare=False)
    _guarded: tuple[tuple[Redaction, tuple[tuple[bytes, int], ...]], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_bytes < 64:
            raise ValueError("max_bytes must be at least 64")
        keep = {ord(c) for rule in self.redact for c in rule.requires if c.isascii()}
        if ord("0") in keep:
            keep.update(_DIGITS)
        keep.add(ord("\\"))  # escapes in JSON values can hide a match: see redact_value
        object.__setattr__(self, "_map", bytes.maketrans(_DIGITS, b"0" * 10))
        object.__setattr__(self, "_delete", bytes(b for b in range(256) if b not in keep))
        object.__setattr__(self, "_always", tuple(rule for rule in self.redact if not rule.requires))
        object.__setattr__(self, "_guarded", tuple(
            (rule, tuple((c.encode(), rule.requires.count(c)) for c in dict.fromkeys(rule.requires)))
            for rule in self.redact if rule.requires))

    def _present(self, text: str) -> bytes:
        return text.encode("utf-8", "surrogatepass").translate(self._map, self._delete)

    def may_change(self, text: str) -> bool:
        """False when no redaction can match `text` (one C-level pass); True says "look closer"."""
        if self._always:
            return True
        if not self._guarded:
            return False
        present = text.encode("utf-8", "surrogatepass").translate(self._map, self._delete)
        if not present:
            return False
        return b"\\" in present or bool(self._matching(present))

    def applicable(self, text: str) -> list[Redaction]:
        """The redactions whose required characters all occur in `text` (plus those requiring none)."""
        rules = list(self._always)
        if self._guarded:
            present = self._present(text)
            if present:
                rules += self._matching(present)
        return rules

    def _matching(self, present: bytes) -> list[Redaction]:
        rules = []
        for rule, needs in self._guarded:
            for char, times in needs:
                if present.count(char) < times:
                    break
            else:
                rules.append(rule)
        return rules

    def redact_text(self, text: str) -> str:
        """`text` with every matching pattern replaced."""
        if not self.redact or not text:
            return text
        for rule in self.applicable(text):
            text = rule.pattern.sub(rule.replacement, text)
        return text

    def redact_value(self, value: str) -> str:
        """A raw attribute value masked; JSON values are masked inside their strings (see module doc)."""
        if not self.redact or not value:
            return value
        rules = self.applicable(value)
        is_json = value.startswith(_JSON_START)
        if not rules and not (is_json and "\\u" in value):
            return value
        if is_json:
            try:
                masked, changed = self._redact_json(orjson.loads(value), 1)
            except (orjson.JSONDecodeError, _TooDeep):
                if "\\u" in value:  # masked as text, where an escape would hide a match
                    value = _ASCII_ESCAPE.sub(_unescape_ascii, value)
                    rules = self.applicable(value)
            else:
                return orjson.dumps(masked).decode() if changed else value
        for rule in rules:
            value = rule.pattern.sub(rule.replacement, value)
        return value

    def _redact_json(self, obj: Any, depth: int) -> tuple[Any, bool]:
        # `depth`: the level of `obj` if a container. The walk enforces json_values.MAX_DEPTH itself
        # (a separate check would walk the value twice); a deeper value is masked as text.
        if isinstance(obj, str):
            masked = self.redact_text(obj)
            return masked, masked != obj
        if isinstance(obj, list):
            if depth > json_values.MAX_DEPTH:
                raise _TooDeep
            items = [self._redact_json(item, depth + 1) for item in obj]
            if any(changed for _, changed in items):
                return [item for item, _ in items], True
            return obj, False
        if isinstance(obj, dict):
            if depth > json_values.MAX_DEPTH:
                raise _TooDeep
            pairs = {key: self._redact_json(item, depth + 1) for key, item in obj.items()}
            if any(changed for _, changed in pairs.values()):
                return {key: item for key, (item, _) in pairs.items()}, True
            return obj, False
        return obj, False


def _unescape_ascii(match: re.Match[str]) -> str:
    code = match.group(1)
    if code is None:  # an escaped backslash
        return match.group(0)
    char = chr(int(code, 16))
    return match.group(0) if char in _KEPT_ESCAPED else char


DEFAULT_POLICY = ContentPolicy()


def clip(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` UTF-8 bytes, ending in TRUNCATION_MARK when cut."""
    if len(text) * 4 <= max_bytes:
        return text
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return text
    keep = max_bytes - len(TRUNCATION_MARK.encode())
    return data[:keep].decode("utf-8", "ignore") + TRUNCATION_MARK


def render_messages(messages: list[dict[str, Any]], max_bytes: int) -> str:
    """Messages as a JSON string of at most `max_bytes` bytes ("" for none); see the module doc."""
    if not messages:
        return ""
    data = orjson.dumps(messages, default=str)
    if len(data) <= max_bytes:
        return data.decode()
    return fit(messages, max_bytes)
