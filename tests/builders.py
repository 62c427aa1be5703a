"""Builders of test data: small corpora written to temporary folders."""

from __future__ import annotations

from pathlib import Path

SOURCE = """sources:
  - url: https://example.org/{id}
    publisher: Example Publisher
    consulted: 2026-11-27
updated: 2026-11-27"""


def document(doc_id: str, lang: str, title: str, body: str) -> str:
    return f"---\nid: {doc_id}\nlang: {lang}\ntitle: {title}\n{SOURCE.format(id=doc_id)}\n---\n# {title}\n\n{body.strip()}\n"


# Each article is one topic; some exist in only one language on purpose.
SMALL_CORPUS: dict[tuple[str, str], tuple[str, str]] = {
    ("suzhou-cooperation", "sv"): (
        "Samarbetet med Suzhou",
        """## Början
Regionförbundet södra Småland deltog vid Expo 2010 i Shanghai och profilerade regionen som en hållbar region med fokus på miljöteknik. I samband med världsutställningen skrevs ett samarbetsavtal med staden Suzhou.

## Beslutet 2011
I juni 2011 beslutade regionstyrelsen att fortsätta Kinasatsningen under tre år. Satsningen medfinansierades av Länsstyrelsen Kronoberg och Växjö kommun.""",
    ),
    ("suzhou-cooperation", "zh"): (
        "与苏州的合作",
        """## 起步
2010年，南斯莫兰地区联合会参加了上海世博会，把本地区宣传为以环境技术为重点的可持续发展地区。世博会期间，本地区与苏州市签署了合作协议。

## 2011年的决定
2011年6月，地区理事会决定将对华合作再延续三年。这项工作由克鲁努贝里省政府和韦克舍市共同出资。""",
    ),
    ("suzhou-cooperation", "en"): (
        "The cooperation with Suzhou",
        """## The start
The regional federation of southern Småland took part in Expo 2010 in Shanghai and presented the region as a sustainable region focused on environmental technology. In connection with the exhibition, a cooperation agreement was signed with the city of Suzhou.

## The 2011 decision
In June 2011 the regional board decided to continue the China initiative for three years. It was co-financed by the County Administrative Board of Kronoberg and Växjö municipality.""",
    ),
    ("swedish-vat", "sv"): (
        "Moms i Sverige",
        """## Skattesatser
Den allmänna momssatsen i Sverige är 25 procent. För livsmedel och hotell gäller 12 procent, och för böcker, tidningar och persontransporter 6 procent.

## Registrering
Ett företag som säljer momspliktiga varor eller tjänster ska registrera sig för moms hos Skatteverket.""",
    ),
    ("suzhou-industrial-park", "zh"): (
        "苏州工业园区",
        """## 概况
苏州工业园区于1994年经国务院批准设立，是中国和新加坡两国政府间的重要合作项目。园区位于苏州古城以东，行政区划面积278平方公里。

## 产业
园区重点发展电子信息、高端装备制造、生物医药和纳米技术应用等产业，吸引了大量外资企业。""",
    ),
    ("linnaeus-university", "en"): (
        "Linnaeus University",
        """## Campuses
Linnaeus University was formed in 2010 when Växjö University and the University of Kalmar merged. It has campuses in Växjö and Kalmar.

## Students
The university has around 40,000 students and offers programmes in engineering, economics, health and the humanities.""",
    ),
    ("trademarks-china", "sv"): (
        "Varumärken i Kina",
        """## Först till kvarn
Kina tillämpar principen att den som först ansöker om ett varumärke får rätten till det. Ett svenskt företag bör därför registrera sitt varumärke hos CNIPA innan det börjar sälja i Kina.

## Kinesiska tecken
Det är klokt att också registrera ett varumärke med kinesiska tecken, eftersom kunder och konkurrenter annars kan hitta på ett eget kinesiskt namn.""",
    ),
    ("trademarks-china", "zh"): (
        "在中国注册商标",
        """## 申请在先
中国实行商标申请在先原则，谁先申请谁就获得商标权。瑞典企业在进入中国市场销售之前，应先向国家知识产权局申请注册商标。

## 中文商标
同时注册中文商标也很重要，否则客户或竞争对手可能会自行给品牌起一个中文名字。""",
    ),
    ("kronoberg-transport", "sv"): (
        "Transporter i Kronoberg",
        """## Flyg
Växjö Småland Airport ligger cirka tio kilometer nordväst om Växjö centrum.

## Tåg
Södra stambanan går genom Alvesta, och därifrån når man både Stockholm och Malmö med tåg. Närmaste större hamnar är Karlshamn och Karlskrona.""",
    ),
    ("company-registration", "sv"): (
        "Registrera ett aktiebolag",
        """## Bolagsverket
Ett aktiebolag registreras hos Bolagsverket, oftast via tjänsten verksamt.se. Avgiften är 1 900 kronor vid ansökan på nätet.

## Handläggningstid
Bolagsverket strävar efter att registrera en komplett ansökan inom sju arbetsdagar.""",
    ),
    ("company-registration", "zh"): (
        "注册瑞典有限公司",
        """## 瑞典公司注册局
有限公司在瑞典公司注册局（Bolagsverket）登记，通常通过 verksamt.se 网站办理。网上申请的费用为1900瑞典克朗。

## 办理时间
公司注册局的目标是在七个工作日内完成对完整申请的登记。""",
    ),
    ("china-visas", "sv"): (
        "Visum till Kina",
        """## Visumfrihet
Svenska medborgare kan resa till Kina utan visum för vistelser på upp till 30 dagar, för affärer, turism och familjebesök, under perioden till och med den 31 december 2026.

## Affärsvisum
För längre affärsresor krävs ett affärsvisum (M-visum), som söks via Kinas visumcenter i Stockholm.""",
    ),
    ("china-visas", "zh"): (
        "赴华签证",
        """## 免签政策
在2026年12月31日之前，瑞典公民可免签入境中国，停留不超过30天，可用于商务、旅游和探亲。

## 商务签证
如需更长时间的商务访问，需要申请商务签证（M字签证），可通过斯德哥尔摩的中国签证中心办理。""",
    ),
    ("suzhou-travel", "sv"): (
        "Resa mellan Suzhou och Shanghai",
        """## Snabbtåg
Snabbtåget mellan Suzhou och Shanghai Hongqiao tar ungefär 25 till 30 minuter, och avgångarna är många varje dag.

## Flygplatser
Närmaste stora flygplatser är Shanghai Hongqiao och Shanghai Pudong, dit det finns direktflyg från Europa.""",
    ),
    ("suzhou-travel", "zh"): (
        "苏州与上海之间的交通",
        """## 高铁
苏州到上海虹桥的高铁约需25至30分钟，每天班次很多。

## 机场
最近的大型机场是上海虹桥机场和上海浦东机场，有来自欧洲的直飞航班。""",
    ),
}


def write_corpus(root: Path, docs: dict[tuple[str, str], tuple[str, str]] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for (doc_id, lang), (title, body) in (docs or SMALL_CORPUS).items():
        (root / f"{doc_id}.{lang}.md").write_text(document(doc_id, lang, title, body), encoding="utf-8")
    return root


def clustered_vectors(n: int, dim: int = 32, clusters: int = 20, noise: float = 0.6, seed: int = 0):
    """``n`` unit vectors in ``clusters`` Gaussian clouds: close neighbours, as real embeddings have."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    x = centres[rng.integers(0, clusters, n)] + noise * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def vector_index(index_dir: Path, per_language: int, ann_min_vectors: int, dim: int = 32) -> Path:
    """An index written straight from clustered vectors (no model): ``per_language`` passages of two or
    three sentences in each language, a passage's vector the mean of its sentences'."""
    import numpy as np

    from kinabot.chunking import Passage
    from kinabot.corpus import LANGS
    from kinabot.index import DocMeta, write_index

    rng = np.random.default_rng(1)
    docs, passages, sentence_vectors = [], [], []
    for lang in LANGS:
        for n in range(per_language):
            if n % 10 == 0:
                doc_id = f"doc-{lang}-{n // 10}"
                url = f"https://example.org/{doc_id}"
                source = {"url": url, "publisher": "Example", "consulted": "2026-11-27"}
                docs.append(DocMeta(doc_id, lang, doc_id, url, (source,), "2026-11-27", None))
            words = [f"w{lang}{rng.integers(0, 200)}" for _ in range(int(rng.integers(2, 4)))]
            text = ". ".join(words) + "."
            spans, pos = [], 0
            for word in words:
                spans.append((pos, pos + len(word) + 1))
                pos += len(word) + 2
            passages.append(
                Passage(docs[-1].id, lang, docs[-1].title, (docs[-1].title,), text, 0, len(text), tuple(spans))
            )
    sentence_vectors = clustered_vectors(sum(len(p.sentences) for p in passages), dim)
    ends = np.cumsum([len(p.sentences) for p in passages])
    vectors = np.stack(
        [sentence_vectors[e - len(p.sentences) : e].mean(axis=0) for p, e in zip(passages, ends, strict=True)]
    )
    model = {"name": "clustered", "fingerprint": "clustered", "dimension": dim}
    return write_index(
        docs, passages, vectors, sentence_vectors, model, "clustered", index_dir, ann_min_vectors=ann_min_vectors
    )
