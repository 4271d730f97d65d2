"""Regex building shared by the detector's passes."""

from __future__ import annotations

import re


def trie_pattern(words: list[str]) -> str:
    """A regex matching any of `words`, factored by prefix (longest match wins; every branch starts with a literal,
    so the engine skips in C every position whose character starts no word)."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)
