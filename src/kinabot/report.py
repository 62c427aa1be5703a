"""The usage report: what was asked over a period, what went unanswered, which documents helped.

``Store.report(since, until)`` fills a :class:`Report`; ``dataclasses.asdict(report)`` is
ready for ``json.dumps`` and :func:`report_csv` writes it as one CSV table in which the
``section`` column says what each row is.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

CSV_COLUMNS = (
    "section",
    "key",
    "count",
    "no_answer",
    "no_answer_rate",
    "up",
    "down",
    "up_ratio",
    "mean_latency_ms",
)
# Spreadsheets run a cell starting with one of these as a formula; visitors write the questions.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class LanguageFigures:
    """Questions asked in one language."""

    lang: str
    questions: int
    no_answer: int
    no_answer_rate: float


@dataclass(frozen=True)
class DayFigures:
    """Questions asked on one day (UTC)."""

    day: str
    questions: int
    no_answer: int
    no_answer_rate: float


@dataclass(frozen=True)
class QuestionCount:
    """A question, case and whitespace folded, and how often it was asked."""

    question: str
    count: int


@dataclass(frozen=True)
class DocumentFeedback:
    """Votes on answers that cited one document; ``up_ratio`` is the share of up votes."""

    doc_id: str
    up: int
    down: int
    up_ratio: float


@dataclass(frozen=True)
class Report:
    """Figures for the days ``since`` to ``until``, both included (ISO dates, UTC).

    Rates are shares between 0 and 1, and 0 when there is nothing to share out.
    """

    since: str
    until: str
    questions: int
    no_answer: int
    no_answer_rate: float
    mean_latency_ms: float | None
    feedback: int
    feedback_up: int
    feedback_down: int
    languages: list[LanguageFigures] = field(default_factory=list)
    days: list[DayFigures] = field(default_factory=list)
    top_questions: list[QuestionCount] = field(default_factory=list)
    unanswered: list[QuestionCount] = field(default_factory=list)
    documents: list[DocumentFeedback] = field(default_factory=list)


def rate(part: int, whole: int) -> float:
    """``part / whole`` rounded to four decimals, 0 for an empty whole."""
    return round(part / whole, 4) if whole else 0.0


def report_csv(report: Report) -> str:
    """The report as one CSV table (columns :data:`CSV_COLUMNS`), one row per figure group.

    Sections: ``period`` (key ``since/until``: totals), ``language``, ``day``,
    ``top_question``, ``unanswered`` and ``document``. Cells that a spreadsheet would run
    as a formula get a leading apostrophe.
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    rows: list[dict[str, object]] = [
        {
            "section": "period",
            "key": f"{report.since}/{report.until}",
            "count": report.questions,
            "no_answer": report.no_answer,
            "no_answer_rate": report.no_answer_rate,
            "up": report.feedback_up,
            "down": report.feedback_down,
            "up_ratio": rate(report.feedback_up, report.feedback),
            "mean_latency_ms": report.mean_latency_ms,
        }
    ]
    rows += [
        {
            "section": "language",
            "key": item.lang,
            "count": item.questions,
            "no_answer": item.no_answer,
            "no_answer_rate": item.no_answer_rate,
        }
        for item in report.languages
    ]
    rows += [
        {
            "section": "day",
            "key": item.day,
            "count": item.questions,
            "no_answer": item.no_answer,
            "no_answer_rate": item.no_answer_rate,
        }
        for item in report.days
    ]
    rows += [{"section": "top_question", "key": item.question, "count": item.count} for item in report.top_questions]
    rows += [{"section": "unanswered", "key": item.question, "count": item.count} for item in report.unanswered]
    rows += [
        {
            "section": "document",
            "key": item.doc_id,
            "count": item.up + item.down,
            "up": item.up,
            "down": item.down,
            "up_ratio": item.up_ratio,
        }
        for item in report.documents
    ]
    for row in rows:
        writer.writerow({name: _cell(row.get(name)) for name in CSV_COLUMNS})
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def format_report(report: Report) -> str:
    """The report as plain text for a terminal."""
    latency = f", mean answer time {report.mean_latency_ms:.0f} ms" if report.mean_latency_ms is not None else ""
    lines = [
        f"Questions {report.since} to {report.until}: {report.questions}, "
        f"no answer {report.no_answer} ({_percent(report.no_answer_rate)}){latency}",
        f"Feedback: {report.feedback} (up {report.feedback_up}, down {report.feedback_down})",
    ]
    if report.languages:
        lines += ["", "Per language:"]
        lines += [
            f"  {item.lang or '?':<4} {item.questions:>6}  no answer {item.no_answer} ({_percent(item.no_answer_rate)})"
            for item in report.languages
        ]
    if report.days:
        lines += ["", "Per day:"]
        lines += [f"  {item.day} {item.questions:>6}  no answer {item.no_answer}" for item in report.days]
    for title, items in (("Most asked:", report.top_questions), ("Unanswered:", report.unanswered)):
        if items:
            lines += ["", title]
            lines += [f"  {item.count:>6}  {item.question}" for item in items]
    if report.documents:
        lines += ["", "Feedback per document:"]
        lines += [
            f"  {item.doc_id:<32} up {item.up:>4}  down {item.down:>4}  ({_percent(item.up_ratio)} up)"
            for item in report.documents
        ]
    return "\n".join(lines)


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"


EARLIEST = date(1970, 1, 1)
LATEST = date(9999, 12, 30)
DEFAULT_DAYS = 30


def period(since: date | None, until: date | None, today: date) -> tuple[date, date]:
    """The report's days: by default the 30 days up to today; raises ``ValueError`` for a
    period that is reversed or outside the dates a database can hold."""
    until = until or today
    if not EARLIEST <= until <= LATEST or (since is not None and not EARLIEST <= since <= LATEST):
        raise ValueError(f"dates must lie between {EARLIEST} and {LATEST}")
    since = since or max(EARLIEST, until - timedelta(days=DEFAULT_DAYS))
    if since > until:
        raise ValueError("`since` must not be after `until`")
    return since, until
