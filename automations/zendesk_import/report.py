"""The import's result, one row per definition, printed as a table per kind."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

IMPORTED = "imported"
CHANGED = "changed"
UNCHANGED = "unchanged"
SKIPPED = "skipped"
RESULT_LABELS = {
    IMPORTED: gettext_lazy("imported"),
    CHANGED: gettext_lazy("changed"),
    UNCHANGED: gettext_lazy("unchanged"),
    SKIPPED: gettext_lazy("skipped"),
}


@dataclass(frozen=True)
class Row:
    kind: str
    title: str
    result: str
    detail: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, kind: str, title: str, result: str, detail: str = "") -> None:
        self.rows.append(Row(kind, str(title), result, str(detail)))

    def results(self, kind: str) -> dict[str, str]:
        """Title -> result for one kind (for tests and summaries)."""
        return {row.title: row.result for row in self.rows if row.kind == kind}

    def table(self) -> str:
        header = (_("kind"), _("title/name"), _("result"), _("detail"))
        blocks = []
        kinds = list(dict.fromkeys(row.kind for row in self.rows))
        for kind in kinds:
            lines = [header] + [
                (row.kind, row.title, str(RESULT_LABELS[row.result]), row.detail)
                for row in self.rows
                if row.kind == kind
            ]
            widths = [max(len(line[column]) for line in lines) for column in range(3)]
            blocks.append(
                "\n".join(
                    (
                        "  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True))
                        + "  "
                        + line[3]
                    ).rstrip()
                    for line in lines
                )
            )
        return "\n\n".join(blocks)
