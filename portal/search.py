"""Search keys that ignore case and Vietnamese diacritics: "cat hai" finds "Đặc khu Cát Hải"."""

import unicodedata


def fold(text: str | None) -> str:
    """Lower case, no diacritics, single spaces. Đ/đ is a letter of its own in Unicode (it has no
    decomposition), so it is mapped by hand before the combining marks are dropped."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace("_", " ").split())


def matches(query: str | None, *values: str | None) -> bool:
    """Every word of the query appears in one of the values (folded)."""
    words = fold(query).split()
    haystack = " | ".join(fold(v) for v in values)
    return all(w in haystack for w in words)
