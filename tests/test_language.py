from __future__ import annotations

import pytest

from kinabot import language
from kinabot.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("hur mycket moms", "sv"),
        ("moms sverige hur mycket", "sv"),
        ("arbetstillstand lon krav", "sv"),
        ("kan jag få arbetstillstånd", "sv"),
        ("starta ab", "sv"),
        ("hej", "sv"),
        ("Vad kostar det att registrera ett aktiebolag?", "sv"),
        ("How long does company registration take?", "en"),
        ("work permit sweden salary", "en"),
        ("What is Länsstyrelsen?", "en"),
        ("Where is Växjö?", "en"),
        ("苏州工业园区离上海多远", "zh"),
        ("增值税", "zh"),
        ("F-skatt是什么", "zh"),
        ("Almi能提供什么帮助", "zh"),
        ("IKEA 在哪里成立的", "zh"),
        ("Vad betyder 外商独资?", "sv"),
        ("what is guanxi 关系", "en"),
    ],
)
def test_short_and_mixed_questions(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detection_is_deterministic() -> None:
    results = {detect_language("Linnaeus University Växjö Kalmar") for _ in range(20)}
    assert len(results) == 1


@pytest.mark.parametrize("text", ["", "   ", "?!", "12345", "🙂"])
def test_text_without_words_does_not_fail(text: str) -> None:
    assert detect_language(text) in {"sv", "zh", "en"}


def test_langdetect_is_asked_only_when_the_words_leave_it_open(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    real = language._langdetect_sv

    def spy(text: str) -> float:
        asked.append(text)
        return real(text)

    monkeypatch.setattr(language, "_langdetect_sv", spy)
    # Function words decide these, whatever langdetect would say.
    assert detect_language("Vad kostar det att registrera ett aktiebolag?") == "sv"
    assert detect_language("How long does company registration take?") == "en"
    assert asked == []
    # Here only langdetect can tell.
    assert detect_language("arbetstillstand lon krav") == "sv"
    assert detect_language("residence permit requirements") == "en"
    assert len(asked) == 2
