from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

import pytest

from kinabot.report import (
    CSV_COLUMNS,
    DayFigures,
    DocumentFeedback,
    LanguageFigures,
    QuestionCount,
    Report,
    format_report,
    rate,
    report_csv,
)


def _report() -> Report:
    return Report(
        since="2025-03-01",
        until="2025-03-02",
        questions=5,
        no_answer=2,
        no_answer_rate=0.4,
        mean_latency_ms=42.5,
        feedback=3,
        feedback_up=2,
        feedback_down=1,
        languages=[
            LanguageFigures(lang="sv", questions=3, no_answer=1, no_answer_rate=0.3333),
            LanguageFigures(lang="zh", questions=2, no_answer=1, no_answer_rate=0.5),
        ],
        days=[
            DayFigures(day="2025-03-01", questions=4, no_answer=2, no_answer_rate=0.5),
            DayFigures(day="2025-03-02", questions=1, no_answer=0, no_answer_rate=0.0),
        ],
        top_questions=[QuestionCount("vad är moms", 3), QuestionCount('hur, "startar" jag\nett ab', 1)],
        unanswered=[QuestionCount("=hyperlink(1)", 1), QuestionCount("苏州天气怎么样", 1)],
        documents=[DocumentFeedback("moms", up=2, down=1, up_ratio=0.6667)],
    )


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_rate_is_a_rounded_share_and_zero_for_nothing() -> None:
    assert rate(1, 3) == 0.3333
    assert rate(0, 0) == 0.0


def test_report_is_json_ready() -> None:
    data = json.loads(json.dumps(asdict(_report()), ensure_ascii=False))
    assert data["questions"] == 5
    assert data["languages"][1] == {"lang": "zh", "questions": 2, "no_answer": 1, "no_answer_rate": 0.5}
    assert data["documents"] == [{"doc_id": "moms", "up": 2, "down": 1, "up_ratio": 0.6667}]


def test_csv_has_one_row_per_figure_group() -> None:
    text = report_csv(_report())
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = _rows(text)
    assert [row["section"] for row in rows] == [
        "period",
        "language",
        "language",
        "day",
        "day",
        "top_question",
        "top_question",
        "unanswered",
        "unanswered",
        "document",
    ]
    period = rows[0]
    assert period["key"] == "2025-03-01/2025-03-02"
    assert (period["count"], period["no_answer"], period["no_answer_rate"]) == ("5", "2", "0.4")
    assert (period["up"], period["down"], period["up_ratio"], period["mean_latency_ms"]) == ("2", "1", "0.6667", "42.5")
    assert rows[2] == {
        "section": "language",
        "key": "zh",
        "count": "2",
        "no_answer": "1",
        "no_answer_rate": "0.5",
        "up": "",
        "down": "",
        "up_ratio": "",
        "mean_latency_ms": "",
    }
    assert (rows[3]["key"], rows[3]["count"], rows[3]["no_answer"]) == ("2025-03-01", "4", "2")
    assert rows[9]["key"] == "moms" and (rows[9]["up"], rows[9]["down"], rows[9]["up_ratio"]) == ("2", "1", "0.6667")


def test_csv_keeps_quotes_commas_newlines_and_chinese() -> None:
    rows = _rows(report_csv(_report()))
    assert rows[6]["key"] == 'hur, "startar" jag\nett ab'
    assert rows[8]["key"] == "苏州天气怎么样"


def test_csv_cells_are_never_spreadsheet_formulas() -> None:
    rows = _rows(report_csv(_report()))
    assert rows[7]["key"] == "'=hyperlink(1)"


def test_empty_report_still_has_its_period_row() -> None:
    empty = Report("2025-01-01", "2025-01-31", 0, 0, 0.0, None, 0, 0, 0)
    rows = _rows(report_csv(empty))
    assert len(rows) == 1
    assert rows[0]["count"] == "0" and rows[0]["mean_latency_ms"] == ""
    assert "Questions 2025-01-01 to 2025-01-31: 0" in format_report(empty)


def test_text_report_names_every_section() -> None:
    text = format_report(_report())
    for expected in ("no answer 2 (40.0 %)", "Per language:", "Per day:", "Most asked:", "Unanswered:", "moms"):
        assert expected in text
    assert "     3  vad är moms" in text


def test_period_defaults_to_the_last_30_days_and_refuses_impossible_dates() -> None:
    from datetime import date

    from kinabot.report import period

    today = date(2026, 11, 27)
    assert period(None, None, today) == (date(2026, 10, 28), today)
    assert period(date(2026, 11, 1), None, today) == (date(2026, 11, 1), today)
    assert period(None, date(1970, 1, 10), today) == (date(1970, 1, 1), date(1970, 1, 10))
    for since, until in ((None, date(1, 1, 1)), (date(9999, 12, 31), None), (date(2026, 11, 2), date(2026, 11, 1))):
        with pytest.raises(ValueError):
            period(since, until, today)
