"""Reading documents in every format staff have, from real files written in the tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfWriter

from kinabot.corpus import ID_PATTERN, Document, load_corpus
from kinabot.readers import SkipFile, read_file, slug_id, split_by_language
from tests.builders import document

LIMIT = 200_000
HAN = re.compile(r"[\u4e00-\u9fff]")

SV_VAT = (
    "Den allmänna momssatsen i Sverige är 25 procent, och för livsmedel och hotell gäller 12 procent medan "
    "böcker, tidningar och persontransporter har 6 procent. Ett företag som säljer momspliktiga varor ska "
    "registrera sig hos Skatteverket innan försäljningen börjar."
)
SV_HELP = "Åke på kontoret i Växjö hjälper till med blanketterna och svarar på frågor om köp från Kina."
ZH_PARK = (
    "苏州工业园区于1994年经国务院批准设立，是中国和新加坡两国政府间的重要合作项目。园区位于苏州古城以东，"
    "行政区划面积278平方公里，重点发展电子信息、高端装备制造、生物医药和纳米技术应用等产业。"
)
ZH_COOP = "2010年，南斯莫兰地区联合会参加了上海世博会，并在世博会期间与苏州市签署了合作协议。"
SV_COOP = (
    "Regionförbundet södra Småland deltog vid Expo 2010 i Shanghai och skrev då ett samarbetsavtal med "
    "staden Suzhou. Satsningen har sedan dess förlängts flera gånger."
)


def _cjk_font() -> Path | None:
    """A TrueType font with Chinese glyphs for fpdf2, if this machine has one."""
    known = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    if known.is_file():
        return known
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
        for line in listed.splitlines():
            path = Path(line.split(":")[0].strip())
            if path.suffix.lower() in (".ttf", ".ttc"):
                return path
    return None


def write_pdf(path: Path, paragraphs: list[str], title: str | None = None, font: Path | None = None) -> Path:
    pdf = FPDF()
    pdf.add_page()
    if font is not None:
        pdf.add_font("cjk", fname=str(font))
        pdf.set_font("cjk", size=12)
    else:
        pdf.set_font("Helvetica", size=12)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 7, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    if title:
        pdf.set_title(title)
    pdf.output(str(path))
    return path


def read(path: Path, root: Path, max_bytes: int = LIMIT) -> list[Document]:
    return read_file(path, root, max_bytes)


def skip_reason(path: Path, root: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(SkipFile) as caught:
        read_file(path, root, max_bytes)
    return caught.value.reason


# --- formats -----------------------------------------------------------------------------------


def test_swedish_pdf_keeps_its_letters_title_and_paragraphs(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "Moms_Växjö.pdf", ["Moms i Sverige", SV_VAT, SV_HELP], title="Moms i Sverige")
    [doc] = read(path, tmp_path)
    assert (doc.id, doc.lang, doc.title) == ("moms-vaxjo", "sv", "Moms i Sverige")
    # The paragraph fpdf2 wrapped over several lines is one paragraph again.
    assert doc.body.split("\n\n") == ["Moms i Sverige", SV_VAT, SV_HELP]
    assert doc.sources == ()
    assert doc.path == "Moms_Växjö.pdf"


def test_pdf_without_a_title_is_named_after_the_file(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "moms_regler.pdf", [SV_VAT])
    [doc] = read(path, tmp_path)
    assert doc.title == "moms regler"
    assert doc.body == SV_VAT


def test_chinese_pdf_is_read_as_chinese(tmp_path: Path) -> None:
    font = _cjk_font()
    if font is None:
        pytest.skip(
            "no Chinese TrueType font here (install fonts-wqy-microhei, see `make browser`); Chinese is still covered by DOCX, HTML and GB18030 text"
        )
    folder = tmp_path / "suzhou"
    folder.mkdir()
    path = write_pdf(folder / "苏州工业园区.pdf", [ZH_PARK], title="苏州工业园区简介", font=font)
    [doc] = read(path, tmp_path)
    assert (doc.lang, doc.title) == ("zh", "苏州工业园区简介")
    # Wrapped Chinese lines are joined without a space.
    assert doc.body == ZH_PARK
    assert re.fullmatch(r"suzhou-[0-9a-f]{8}", doc.id)


def _mixed_docx(path: Path) -> Path:
    word = docx.Document()
    word.core_properties.title = "Växjö och Suzhou 韦克舍与苏州"
    word.add_heading("Växjö och Suzhou 韦克舍与苏州", level=0)
    word.add_heading("Samarbetet med Suzhou", level=1)
    word.add_paragraph(SV_COOP)
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Stad", "Avstånd till Shanghai"
    table.cell(1, 0).text, table.cell(1, 1).text = "Suzhou", "Ungefär 100 kilometer med tåg på en halvtimme"
    word.add_heading("与苏州的合作", level=1)
    word.add_paragraph(ZH_COOP)
    word.add_heading("园区概况", level=2)
    word.add_paragraph(ZH_PARK)
    table = word.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "苏州到上海的距离", "大约一百公里，高铁半小时"
    word.save(str(path))
    return path


def test_word_file_in_two_languages_becomes_two_translations(tmp_path: Path) -> None:
    sv, zh = read(_mixed_docx(tmp_path / "broschyr.docx"), tmp_path)
    assert (sv.lang, zh.lang) == ("sv", "zh")
    assert sv.id == zh.id == "broschyr"
    assert (sv.title, zh.title) == ("Samarbetet med Suzhou", "与苏州的合作")
    # The title heading covers both parts; each section heading stays with its own language.
    assert sv.body.startswith("# Växjö och Suzhou 韦克舍与苏州\n\n## Samarbetet med Suzhou\n\n" + SV_COOP)
    assert zh.body.startswith("# Växjö och Suzhou 韦克舍与苏州\n\n## 与苏州的合作\n\n" + ZH_COOP)
    assert "### 园区概况" in zh.body and ZH_PARK in zh.body
    assert "Stad | Avstånd till Shanghai" in sv.body
    assert "苏州到上海的距离 | 大约一百公里，高铁半小时" in zh.body
    assert not HAN.search(sv.body.split("\n", 1)[1])
    assert "Samarbetet" not in zh.body and "Avstånd" not in zh.body


def test_word_file_in_one_language_uses_its_title(tmp_path: Path) -> None:
    word = docx.Document()
    word.core_properties.title = "Moms för företag"
    word.add_heading("Skattesatser", level=1)
    word.add_paragraph(SV_VAT)
    word.add_paragraph("Registrera företaget", style="List Bullet")
    word.save(str(tmp_path / "moms.docx"))
    [doc] = read(tmp_path / "moms.docx", tmp_path)
    assert (doc.lang, doc.title) == ("sv", "Moms för företag")
    assert doc.body == f"# Skattesatser\n\n{SV_VAT}\n\n- Registrera företaget"


PAGE = """<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8"><title>Etablera företag i Suzhou – Region Kronoberg</title></head>
<body>
<header><div class="logo">Regionens logotyp</div>
<nav><ul><li><a href="/">Startsida</a></li><li><a href="/om">Om regionen</a></li>
<li><a href="/kontakt">Kontakta oss via menyn</a></li></ul></nav></header>
<main><article>
<h1>Etablera företag i Suzhou</h1>
<p>Suzhou ligger väster om Shanghai och är en av Kinas mest dynamiska städer. Många svenska företag har valt
att etablera sig i Suzhou Industrial Park, där det finns ett starkt nätverk av europeiska bolag.</p>
<h2>Tillstånd och registrering</h2>
<p>Ett utländskt företag som vill starta ett helägt dotterbolag i Kina måste registrera sig hos den lokala
myndigheten för marknadsreglering. Processen tar oftast två till tre månader.</p>
<h2>Kostnader</h2>
<p>Hyran för kontorslokaler i parken är lägre än i centrala Shanghai, och det finns stöd för nyetablerade
företag under de första åren.</p>
</article></main>
<footer><p>Sidfot med cookies och personuppgifter</p></footer>
</body></html>"""


def test_web_page_keeps_the_article_and_its_headings_and_drops_menus(tmp_path: Path) -> None:
    (tmp_path / "etablera.html").write_text(PAGE, encoding="utf-8")
    [doc] = read(tmp_path / "etablera.html", tmp_path)
    assert (doc.id, doc.lang, doc.title) == ("etablera", "sv", "Etablera företag i Suzhou")
    assert doc.body.startswith("# Etablera företag i Suzhou\n")
    assert "\n## Tillstånd och registrering\n" in doc.body
    assert "Processen tar oftast två till tre månader." in doc.body
    for chrome in ("Startsida", "Om regionen", "Kontakta oss", "logotyp", "Sidfot", "cookies"):
        assert chrome not in doc.body


@pytest.mark.parametrize(
    ("encoding", "text", "lang"),
    [
        ("utf-8", SV_VAT, "sv"),
        ("gb18030", ZH_PARK, "zh"),
        ("cp1252", SV_VAT + "\n\n" + SV_HELP, "sv"),
        ("utf-16", ZH_COOP, "zh"),
    ],
)
def test_plain_text_in_any_common_encoding(tmp_path: Path, encoding: str, text: str, lang: str) -> None:
    (tmp_path / "note.txt").write_bytes(text.encode(encoding))
    [doc] = read(tmp_path / "note.txt", tmp_path)
    assert (doc.lang, doc.body, doc.title) == (lang, text, "note")


def test_markdown_without_front_matter_gets_metadata_from_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "Guider"
    folder.mkdir()
    path = folder / "moms.sv.md"
    path.write_text(f"# Moms i Sverige\n\n{SV_VAT}\n", encoding="utf-8")
    stamp = dt.datetime(2025, 3, 14, 12, 0).timestamp()
    os.utime(path, (stamp, stamp))
    [doc] = read(path, tmp_path)
    assert (doc.id, doc.lang, doc.title, doc.updated) == ("guider-moms", "sv", "Moms i Sverige", dt.date(2025, 3, 14))
    assert doc.body == f"# Moms i Sverige\n\n{SV_VAT}"
    assert doc.sources == ()


def test_markdown_with_front_matter_is_read_strictly_as_before(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(document("swedish-vat", "sv", "Moms", SV_VAT), encoding="utf-8")
    [doc] = read(tmp_path / "a.md", tmp_path)
    assert (doc.id, doc.title, doc.updated) == ("swedish-vat", "Moms", dt.date(2026, 11, 27))
    assert str(doc.sources[0].url) == "https://example.org/swedish-vat"
    (tmp_path / "b.md").write_text("---\nid: x\nlang: de\ntitle: T\n---\nText", encoding="utf-8")
    assert skip_reason(tmp_path / "b.md", tmp_path).startswith("bad front matter")


MIXED = f"""# Samarbetet med Suzhou

{SV_COOP}

Suzhou 2011

## Beslutet 2011

I juni 2011 beslutade regionstyrelsen att fortsätta Kinasatsningen under tre år, och den medfinansierades av Länsstyrelsen.

# 与苏州的合作

{ZH_COOP}

Expo 2010

## 2011年的决定

2011年6月，地区理事会决定将对华合作再延续三年。
"""


def test_mixed_document_is_split_by_language_with_its_headings(tmp_path: Path) -> None:
    (tmp_path / "samarbete.txt").write_text(MIXED, encoding="utf-8")
    sv, zh = read(tmp_path / "samarbete.txt", tmp_path)
    assert (sv.id, sv.lang, sv.title) == ("samarbete", "sv", "Samarbetet med Suzhou")
    assert (zh.id, zh.lang, zh.title) == ("samarbete", "zh", "与苏州的合作")
    # Short lines without a language of their own stay where they stand.
    assert sv.body == (
        f"# Samarbetet med Suzhou\n\n{SV_COOP}\n\nSuzhou 2011\n\n## Beslutet 2011\n\n"
        "I juni 2011 beslutade regionstyrelsen att fortsätta Kinasatsningen under tre år, "
        "och den medfinansierades av Länsstyrelsen."
    )
    assert (
        zh.body
        == f"# 与苏州的合作\n\n{ZH_COOP}\n\nExpo 2010\n\n## 2011年的决定\n\n2011年6月，地区理事会决定将对华合作再延续三年。"
    )


def test_a_document_in_one_language_is_not_split() -> None:
    body = f"# Moms\n\n{SV_VAT}\n\n12 %\n\n{SV_HELP}"
    assert split_by_language(body) == [("sv", body, "Moms")]


def test_sidecar_overrides_id_title_and_sources(tmp_path: Path) -> None:
    write_pdf(tmp_path / "broschyr.pdf", [SV_VAT], title="Gammal titel")
    (tmp_path / "broschyr.pdf.yml").write_text(
        'id: moms-broschyr\ntitle: Moms för nya företag\nupdated: 2026-01-15\nvalid_for: "2026–2027"\n'
        "sources:\n  - url: https://www.skatteverket.se/moms\n    publisher: Skatteverket\n    consulted: 2026-01-10\n",
        encoding="utf-8",
    )
    [doc] = read(tmp_path / "broschyr.pdf", tmp_path)
    assert (doc.id, doc.lang, doc.title, doc.updated, doc.valid_for) == (
        "moms-broschyr",
        "sv",
        "Moms för nya företag",
        dt.date(2026, 1, 15),
        "2026–2027",
    )
    assert [(str(s.url), s.publisher) for s in doc.sources] == [("https://www.skatteverket.se/moms", "Skatteverket")]


def test_sidecar_language_keeps_a_document_whole(tmp_path: Path) -> None:
    (tmp_path / "samarbete.txt").write_text(MIXED, encoding="utf-8")
    (tmp_path / "samarbete.txt.yml").write_text("lang: sv\n", encoding="utf-8")
    [doc] = read(tmp_path / "samarbete.txt", tmp_path)
    assert doc.lang == "sv" and ZH_COOP in doc.body and doc.title == "Samarbetet med Suzhou"


def test_a_bad_sidecar_is_named(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text(SV_VAT, encoding="utf-8")
    (tmp_path / "note.txt.yml").write_text("lang: de\ntitel: Moms\n", encoding="utf-8")
    reason = skip_reason(tmp_path / "note.txt", tmp_path)
    assert reason.startswith("bad sidecar note.txt.yml:") and "lang" in reason and "titel" in reason


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("Broschyrer/Växjö_2024.sv.pdf", "broschyrer-vaxjo-2024"),
        ("Åtgärder för Öland.docx", "atgarder-for-oland"),
        ("guide.en.md", "guide"),
        ("a.b/c.txt", "a-b-c"),
    ],
)
def test_ids_are_slugs_of_the_path(rel: str, expected: str) -> None:
    assert slug_id(rel) == expected


def test_non_latin_names_get_a_stable_hash_id() -> None:
    ids = {slug_id("苏州.pdf"), slug_id("苏州.zh.pdf"), slug_id("苏州.sv.docx")}
    assert len(ids) == 1
    assert re.fullmatch(ID_PATTERN, ids.pop())
    assert slug_id("苏州.pdf") != slug_id("上海.pdf")


# --- bad files ---------------------------------------------------------------------------------


def _write_bad_files(root: Path) -> dict[str, str]:
    """Each bad file with a fragment of the reason it must be skipped for."""
    (root / "empty.txt").write_bytes(b"")
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage without an end")
    locked = PdfWriter(clone_from=write_pdf(root / "locked.pdf", [SV_VAT]))
    locked.encrypt(user_password="hemligt", owner_password="ägare")
    locked.write(str(root / "locked.pdf"))
    scan = FPDF()
    scan.add_page()
    scan.rect(20, 20, 120, 160, style="F")
    scan.output(str(root / "scan.pdf"))
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (root / "nul.md").write_bytes(b"# Rubrik\n\nText\x00\x00\x00med nollor")
    (root / "unknown.txt").write_bytes(bytes(range(0x80, 0x100)) * 4)
    (root / "big.txt").write_text(SV_VAT * 1000, encoding="utf-8")
    (root / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    (root / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    return {
        "empty.txt": "empty file",
        "corrupt.pdf": "corrupt or unreadable PDF",
        "locked.pdf": "encrypted PDF: it needs a password",
        "scan.pdf": "no text layer (scanned image?)",
        "binary.txt": "binary data, not text",
        "nul.md": "binary data, not text",
        "unknown.txt": "unknown text encoding",
        "big.txt": f"file too large: {len(SV_VAT.encode()) * 1000:,} bytes, the limit is {LIMIT:,}",
        "old.doc": "unsupported format .doc: save it as .docx or PDF",
        "broken.docx": "corrupt or unreadable Word file",
    }


def test_each_bad_file_is_skipped_with_its_reason(tmp_path: Path) -> None:
    expected = _write_bad_files(tmp_path)
    for name, fragment in expected.items():
        assert fragment in skip_reason(tmp_path / name, tmp_path), name


def test_bad_files_never_stop_a_build(tmp_path: Path) -> None:
    expected = _write_bad_files(tmp_path)
    write_pdf(tmp_path / "moms.pdf", [SV_VAT], title="Moms i Sverige")
    open_pdf = PdfWriter(clone_from=write_pdf(tmp_path / "open.pdf", [SV_HELP]))
    open_pdf.encrypt(user_password="", owner_password="ägare")  # opens with the empty password
    open_pdf.write(str(tmp_path / "open.pdf"))
    (tmp_path / "park.txt").write_bytes(ZH_PARK.encode("gb18030"))
    _mixed_docx(tmp_path / "broschyr.docx")
    (tmp_path / "etablera.htm").write_text(PAGE, encoding="utf-8")
    (tmp_path / "moms.pdf.yml").write_text("title: Moms\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Om mappen\n\nInga dokument här.", encoding="utf-8")
    (tmp_path / "suggestions.yml").write_text("sv:\n  - Vad kostar moms?\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "~$broschyr.docx").write_bytes(b"lock")

    corpus = load_corpus(tmp_path, max_bytes=LIMIT)

    errors = {e.path: e.message for e in corpus.errors}
    assert set(errors) == set(expected)
    for name, fragment in expected.items():
        assert fragment in errors[name], name
    loaded = sorted((d.path, d.lang, d.title) for d in corpus.documents)
    assert loaded == [
        ("broschyr.docx", "sv", "Samarbetet med Suzhou"),
        ("broschyr.docx", "zh", "与苏州的合作"),
        ("etablera.htm", "sv", "Etablera företag i Suzhou"),
        ("moms.pdf", "sv", "Moms"),
        ("open.pdf", "sv", "open"),
        ("park.txt", "zh", "park"),
    ]
    assert corpus.suggestions == {"sv": ["Vad kostar moms?"]}
    assert set(corpus.files) == {"broschyr.docx", "etablera.htm", "moms.pdf", "open.pdf", "park.txt"}
    park = hashlib.sha256((tmp_path / "park.txt").read_bytes()).hexdigest()
    assert corpus.files["park.txt"] == park


def test_editing_a_sidecar_changes_the_file_hash(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text(SV_VAT, encoding="utf-8")
    before = load_corpus(tmp_path).files["note.txt"]
    (tmp_path / "note.txt.yml").write_text("title: Moms\n", encoding="utf-8")
    after = load_corpus(tmp_path)
    assert after.files["note.txt"] != before
    assert [d.title for d in after.documents] == ["Moms"]


ZH_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>在克鲁努贝里投资 – 地区门户</title></head>
<body>
<header><nav><a href="/">首页</a> <a href="/news">新闻中心</a> <a href="/login">登录入口</a></nav></header>
<div class="sidebar"><p>热门链接：公共交通时刻表</p></div>
<main><article>
<h1>在克鲁努贝里投资</h1>
<p>克鲁努贝里位于瑞典南部斯莫兰地区，首府是韦克舍。这里有大量家具、木材和工程企业，林奈大学也设在韦克舍。</p>
<h2>交通</h2>
<p>从韦克舍乘火车到哥本哈根机场大约需要两个半小时，到哥德堡港口也很方便。当地还有一个地区机场。</p>
<h2>政府服务</h2>
<p>外国投资者可以向瑞典商务投资署咨询设立公司、招聘员工和申请许可的流程，相关服务免费提供。</p>
</article></main>
<footer><p>版权所有 联系我们 隐私政策</p></footer>
</body></html>"""


def test_chinese_web_page_keeps_the_article_and_drops_menus(tmp_path: Path) -> None:
    (tmp_path / "invest.html").write_bytes(ZH_PAGE.encode("utf-8"))
    [doc] = read(tmp_path / "invest.html", tmp_path)
    assert (doc.lang, doc.title) == ("zh", "在克鲁努贝里投资")
    assert "\n## 交通\n" in doc.body and "林奈大学也设在韦克舍" in doc.body
    for chrome in ("新闻中心", "登录入口", "版权所有", "隐私政策"):
        assert chrome not in doc.body
