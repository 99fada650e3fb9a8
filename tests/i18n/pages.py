"""What an agent reads on a page: the visible text and the attributes a person meets (titles, placeholders, labels),
without scripts, styles or the customer's own words."""

import re
from html.parser import HTMLParser

READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")
SKIPPED_ELEMENTS = ("script", "style", "template")


class _Reader(HTMLParser):
    def __init__(self, skip_classes: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_classes = skip_classes
        self._stack: list[tuple[str, bool]] = []

    @property
    def _skipping(self) -> bool:
        return any(skip for _, skip in self._stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        skip = tag in SKIPPED_ELEMENTS or any(name in classes for name in self.skip_classes)
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col", "embed"):
            self._stack.append((tag, skip))
        if self._skipping or skip:
            return
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.parts.append(data.strip())


def readable_text(html: str, *, skip_classes: tuple[str, ...] = ()) -> str:
    """The page's words as one string; elements with one of `skip_classes` (e.g. message bodies) are left out."""
    reader = _Reader(skip_classes)
    reader.feed(html)
    return re.sub(r"\s+", " ", " ".join(reader.parts))


def phrases_in(text: str, phrases: list[str]) -> list[str]:
    """The phrases that occur in `text` as whole words (case-sensitive: UI labels are written as labels)."""
    return [phrase for phrase in phrases if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text)]
