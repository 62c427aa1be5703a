from __future__ import annotations

from kinabot.scope import Vocabulary

TEXTS = [
    "Svenska företag i Suzhou betalar moms på möbler. Läs mer på https://www.vaxjo.se/foretag.",
    "Ansök om arbetstillstånd hos Migrationsverket i Växjö.",
    "The office is in Växjö.",
]


def test_swedish_typed_without_a_ring_or_dots_is_restored() -> None:
    vocabulary = Vocabulary(TEXTS)
    assert vocabulary.restore("svenska foretag i suzhou") == "svenska företag i suzhou"
    assert vocabulary.restore("moms pa mobler") == "moms på möbler"
    assert vocabulary.restore("Arbetstillstand i Vaxjo?") == "Arbetstillstånd i Växjö?"


def test_words_the_documents_also_write_without_them_are_left_alone() -> None:
    vocabulary = Vocabulary([*TEXTS, "A PA system is not needed."])
    # "pa" occurs as an English word too; addresses ("vaxjo.se/foretag") are not prose.
    assert vocabulary.restore("moms pa mobler") == "moms pa möbler"
    assert "foretag" not in Vocabulary(["https://www.vaxjo.se/foretag"]).restorable
    assert vocabulary.restore("苏州的瑞典企业") == "苏州的瑞典企业"
    assert vocabulary.restore("Företag i Växjö") == "Företag i Växjö"


def test_unknown_words_are_found_through_inflection_and_missing_dots() -> None:
    vocabulary = Vocabulary(TEXTS)
    missing, content = vocabulary.unknown("arbetstillstandet i Norge")
    assert missing == ["norge"] and content == 2
