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


def test_countries_are_found_in_three_languages_and_inflected() -> None:
    from kinabot.scope import countries_named

    assert countries_named("what is the corporate tax rate in japan") == {"Japan"}
    assert countries_named("Vad är Tysklands moms?") == {"Germany"}
    assert countries_named("挪威公司的最低注册资本是多少") == {"Norway"}
    assert countries_named("a Japanese partner and a firm in Germany") == {"Japan", "Germany"}
    # Sweden and China are home, and words that only look like countries are not countries.
    assert countries_named("Sverige och Kina, 瑞典和中国") == set()
    assert countries_named("roast turkey on an island near Växjö") == set()


def test_a_question_about_another_country_only_when_it_names_no_home_place() -> None:
    from kinabot.scope import other_countries

    assert other_countries("minimum share capital for a company in norway") == {"Norway"}
    assert other_countries("日本的企业所得税是多少") == {"Japan"}
    assert other_countries("a Norwegian partner for our shop in Suzhou") == set()
    assert other_countries("太仓有多少家德国企业") == {"Germany"}  # the passages decide, see test_search
    assert other_countries("Business Sweden kontor i Indien") == set()
    assert other_countries("Hur registrerar jag ett aktiebolag?") == set()


def test_live_topics_are_found_in_three_languages() -> None:
    from kinabot.scope import live_topics

    assert live_topics("ikea share price today") == {"share price"}
    assert live_topics("vad står aktiekursen i idag") == {"share price"}
    assert live_topics("苏州明天天气怎么样") == {"weather"}
    assert live_topics("bra restauranger i Växjö?") == {"restaurant"}
    assert live_topics("Vad är växelkursen och hur blir vädret?") == {"exchange rate", "weather"}
    assert live_topics("Hur mycket aktiekapital behövs för ett aktiebolag?") == set()
    assert live_topics("外商独资企业的注册资本") == set()
