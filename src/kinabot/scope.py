"""Whether a question is about something the corpus mentions at all.

Dense similarity alone cannot tell "corporate tax in Norway" from "corporate tax in
Sweden": both are close to the Swedish tax article. What gives such questions away is
a content word the documents never use (Norway, weather, share price). This module
finds those words, tolerant of inflection, compounds and missing å/ä/ö, so that
answer composition can weigh them against the dense relevance.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import jieba

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
PREFIX = 5
# Web and e-mail addresses spell names without å/ä/ö ("vaxjo.se"); they are not prose.
_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:se|com|cn|org|net|eu|gov|edu)\b\S*", re.IGNORECASE)

# Words that frame a question rather than name its subject.
QUESTION_WORDS = frozenset(
    """
    vad hur var vem vilka vilken vilket när varför finns kan ska måste behöver får går gäller
    mycket många lång länge stor stort bästa bra nåt något några man jag vi vår vårt våra mig
    dig du ni det den de som och att för med till från om på av är har inte eller sig också
    what how where when who which why does do did is are can could should would will need much
    many long big best good any some there their your our with from about into for the and
    """.split()
)
ZH_QUESTION_WORDS = frozenset(
    """
    什么 怎么 怎样 怎么样 如何 哪些 哪里 哪个 哪家 哪年 几年 几天 几次 几月 多久 多少 多少钱 多大 多远
    多长 为什么 为啥 有没有 是不是 能不能 可不可以 可以 需要 意思 现在 一共 一般 要交 下来 大概 请问
    我们 你们 他们 我 你 他 的 了 吗 呢 吧 是 在 有 和 与 或 要 能 会 去 来 对 从 到 给 还 都 也 就
    """.split()
)


def fold(word: str) -> str:
    """Lowercase and strip accents, so 'arbetstillstand' meets 'arbetstillstånd'."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Vocabulary:
    """Every word the corpus uses, in a form that forgives inflection and spelling."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words: set[str] = set()
        self.han_chars: set[str] = set()
        self.prefixes: set[str] = set()
        self.han_bigrams: set[str] = set()
        exact: set[str] = set()
        accented: dict[str, Counter[str]] = {}
        for text in texts:
            text = _ADDRESS.sub(" ", text)
            for run in _HAN_RUN.findall(text):
                self.han_chars.update(run)
                self.han_bigrams.update(run[i : i + 2] for i in range(len(run) - 1))
            for word in _LATIN_WORD.findall(_HAN_RUN.sub(" ", text)):
                folded = fold(word)
                self.words.add(folded)
                lower = word.lower()
                exact.add(lower)
                if lower != folded:
                    accented.setdefault(folded, Counter())[lower] += 1
                # Swedish compounds: "sushirestaurang" should not pass as known because
                # "restaurang" is, but "arbetstillstånd" should meet "arbetstillståndet".
                if len(folded) >= PREFIX:
                    self.prefixes.add(folded[:PREFIX])
        # A word typed without å/ä/ö that the documents only ever write with them.
        self.restorable = {
            folded: forms.most_common(1)[0][0] for folded, forms in accented.items() if folded not in exact
        }

    def restore(self, question: str) -> str:
        """The question with å, ä and ö put back where the documents always write them.

        Visitors on a keyboard without them type "foretag i suzhou" or "moms pa mobler";
        the model reads "företag" and "möbler" far better than those.
        """

        def put_back(match: re.Match[str]) -> str:
            word = match.group(0)
            found = self.restorable.get(word.lower()) if word.isascii() else None
            if found is None:
                return word
            return found.capitalize() if word[0].isupper() else found

        return _LATIN_WORD.sub(put_back, question)

    def unknown(self, question: str) -> tuple[list[str], int]:
        """Content words of ``question`` the corpus never uses, and how many content words it has."""
        content: list[str] = []
        missing: list[str] = []
        for run in _HAN_RUN.findall(question):
            for token in jieba.cut(run):
                if len(token) < 2 or token in ZH_QUESTION_WORDS:
                    continue
                content.append(token)
                if not all(token[i : i + 2] in self.han_bigrams for i in range(len(token) - 1)):
                    missing.append(token)
        for word in _LATIN_WORD.findall(_HAN_RUN.sub(" ", question)):
            folded = fold(word)
            if len(folded) < 3 or folded in _FOLDED_QUESTION_WORDS:
                continue
            content.append(folded)
            known = folded in self.words or (len(folded) >= PREFIX and folded[:PREFIX] in self.prefixes)
            if not known:
                missing.append(folded)
        return missing, len(content)


_FOLDED_QUESTION_WORDS = frozenset(fold(w) for w in QUESTION_WORDS)


# The corpus covers Sweden and China. A question that names another country and neither
# of these, nor a place in them, asks about that country's rules or prices.
HOME_WORDS = frozenset(
    fold(w)
    for w in """
    sverige sweden svensk svenska svenskt swedish kina china kinesisk kinesiska kinesiskt chinese
    kronoberg småland smaland växjö vaxjo älmhult almhult ljungby markaryd alvesta tingsryd
    uppvidinge lessebo suzhou shanghai jiangsu kunshan beijing peking shenzhen guangzhou
    hongkong hong kong nordic norden nordisk nordiska
    """.split()
)
HOME_HAN = ("瑞典", "中国", "中國", "克鲁努贝里", "斯莫兰", "韦克舍", "苏州", "上海", "江苏", "昆山", "北京", "北欧")
# Country names that are also everyday words in questions ("turkey", "jersey", "chad",
# and "island", which is Iceland in Swedish but an island in English).
_AMBIGUOUS = frozenset(
    {"turkey", "jersey", "guernsey", "chad", "jordan", "georgia", "man", "niger", "guinea", "island"}
)
_INFLECTION = 3  # "japanese", "norges", "tysklands"


@functools.cache
def _country_names() -> tuple[dict[str, str], dict[str, str]]:
    """Country names in English, Swedish and Chinese: Latin ones folded, and Han ones."""
    import gettext

    import pycountry

    latin: dict[str, str] = {}
    han: dict[str, str] = {}
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code], fallback=True)
        for code in ("sv", "zh_CN", "zh_TW")
    ]
    for country in pycountry.countries:
        if country.alpha_2 in ("SE", "CN"):
            continue
        english = [country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)]
        names = [n for n in english if n] + [t.gettext(country.name) for t in translations]
        for name in names:
            if _HAN_RUN.fullmatch(name):
                if len(name) >= 2:
                    han[name] = country.name
            elif "," not in name and "(" not in name:
                folded = fold(name)
                if folded not in _AMBIGUOUS and len(folded) >= 4:
                    latin[folded] = country.name
    return latin, han


class TermFinder:
    """Which of many names a text uses: Latin ones at a word start (accents folded, a short
    inflection allowed), Han ones anywhere. One regular expression per script."""

    def __init__(self, latin: dict[str, str], han: dict[str, str]) -> None:
        def alternation(names: dict[str, str]) -> str:
            return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) or "(?!)"

        self.latin, self.han = latin, han
        self._latin = re.compile(rf"(?:^| )({alternation(latin)})(?=[^ ]{{0,{_INFLECTION}}}(?: |$))")
        self._han = re.compile(alternation(han))
        self.find = functools.lru_cache(maxsize=4096)(self._find)

    def _find(self, text: str) -> frozenset[str]:
        words = " ".join(fold(w) for w in _LATIN_WORD.findall(_HAN_RUN.sub(" ", text)))
        found = {self.latin[m.group(1)] for m in self._latin.finditer(words)}
        return frozenset(found | {self.han[m.group()] for m in self._han.finditer(text)})


@functools.cache
def _countries() -> TermFinder:
    return TermFinder(*_country_names())


def countries_named(text: str) -> frozenset[str]:
    """The countries other than Sweden and China that ``text`` names, in any of the three languages."""
    return _countries().find(text)


# What articles cannot hold: live figures (share prices, exchange rates, the weather,
# opening hours) and tips on where to eat. Topic -> words for it in Swedish, English and Chinese.
LIVE_TOPICS = {
    "share price": "aktiekurs börskurs aktiepris | share price, stock price, stock market | 股价 股票 市值",
    "exchange rate": "växelkurs valutakurs | exchange rate, currency rate | 汇率",
    "weather": "väder vädret väderprognos | weather, forecast | 天气 气温 下雨",
    "opening hours": "öppettider | opening hours, open today | 营业时间",
    "restaurant": "restaurang krog | restaurant, hot pot, sushi, pizza | 餐厅 饭店 餐馆 火锅",
}


@functools.cache
def _live_topics() -> TermFinder:
    latin: dict[str, str] = {}
    han: dict[str, str] = {}
    for topic, words in LIVE_TOPICS.items():
        swedish, english, chinese = words.split("|")
        latin.update({fold(w): topic for w in swedish.split()})
        latin.update({fold(w.strip()): topic for w in english.split(",")})
        han.update({w: topic for w in chinese.split()})
    return TermFinder(latin, han)


def live_topics(text: str) -> frozenset[str]:
    """The kinds of live information (share prices, weather, places to eat...) ``text`` speaks of."""
    return _live_topics().find(text)


def other_countries(question: str) -> frozenset[str]:
    """The countries a question is about instead of Sweden and China (empty if none).

    A question that also names a home word (Sweden, China, their people, or a place in
    them) is about home: "a Norwegian partner for our shop in Suzhou" stays in scope.
    """
    if any(word in question for word in HOME_HAN):
        return frozenset()
    if any(fold(w) in HOME_WORDS for w in _LATIN_WORD.findall(_HAN_RUN.sub(" ", question))):
        return frozenset()
    return countries_named(question)
