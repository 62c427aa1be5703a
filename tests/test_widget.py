"""The chat widget (web/widget.js) in a real browser, against the real service.

Debian's chromium runs headless through Playwright; the service runs as `kinabot serve`
in a subprocess on a small corpus built here, with one extra document whose text holds
HTML that must show as text and never run. Screenshots land in build/screenshots/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.builders import write_corpus
from tests.servers import browser_page, chromium, running_service

pytestmark = pytest.mark.slow

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_DOC = f"""---
id: harbour-crane-article
lang: en
title: "The harbour crane article <em>draft</em>"
sources:
  - url: https://example.org/harbour-crane-article
    publisher: Example Publisher
    consulted: 2026-11-27
updated: 2026-11-27
---
# The harbour crane article

## The pasted tags
While writing about the old harbour crane in Karlshamn, the web editor pasted the tag {XSS_IMG} into the draft by mistake. The same draft also contained {XSS_SCRIPT} as a stray inline script.
"""
XSS_QUESTION = "What did the web editor paste into the draft about the harbour crane in Karlshamn?"

SUGGESTIONS = """sv:
  - Hur hög är momsen i Sverige?
  - Behöver jag visum till Kina?
  - Hur kom samarbetet med Suzhou till?
zh:
  - 苏州工业园区是哪一年设立的？
  - 去中国需要签证吗？
  - 苏州到上海的高铁要多久？
en:
  - When was Linnaeus University formed?
  - How did the cooperation with Suzhou start?
  - Do Swedes need a visa for China?
"""

QUESTIONS = {
    "sv": ("Hur hög är momsen i Sverige?", "swedish-vat"),
    "zh": ("苏州工业园区是哪一年设立的？", "suzhou-industrial-park"),
    "en": ("When was Linnaeus University formed?", "linnaeus-university"),
}


# ---------------------------------------------------------------- the service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:
    """`kinabot serve` on a free loopback port, on a small corpus plus the markup document."""
    from kinabot.corpus import load_corpus
    from kinabot.index import build_index

    work = tmp_path_factory.mktemp("widget")
    corpus = write_corpus(work / "corpus")
    (corpus / "harbour-crane-article.en.md").write_text(XSS_DOC, encoding="utf-8")
    (corpus / "suggestions.yml").write_text(SUGGESTIONS, encoding="utf-8")
    index_dir = work / "indexes"
    build_index(load_corpus(corpus), embedder, index_dir)

    env = {
        "KINABOT_CORPUS_DIR": str(corpus),
        "KINABOT_INDEX_DIR": str(index_dir),
        "KINABOT_WEB_DIR": str(ROOT / "web"),
        "KINABOT_DATA_DIR": str(work / "data"),
        # The page asks many questions within a minute; the limit itself is tested in test_api.
        "KINABOT_RATE_LIMIT_PER_MINUTE": "0",
    }
    with running_service(env, work / "serve.log") as base:
        yield base


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as found:
        yield found


@dataclass
class Tab:
    """A page in a fresh browser context, with what its console said."""

    page: object
    base: str
    errors: list[str] = field(default_factory=list)

    @property
    def chat(self):
        return self.page.locator("kinabot-chat")

    def shadow(self, script: str):
        """Evaluate `script` (an expression over `root`, the widget's shadow root) in the page."""
        return self.page.evaluate(
            f"() => {{ const root = document.querySelector('kinabot-chat').shadowRoot; return {script}; }}"
        )

    def host(self, name: str, html: str) -> str:
        """Serve `html` at base/name (same origin as the service) and return the URL."""
        url = f"{self.base}/{name}"
        self.page.route(
            url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        )
        return url

    def open(self) -> None:
        self.chat.locator(".launcher").click()
        self.chat.locator("input").wait_for(state="visible")

    def ask(self, question: str) -> dict:
        """Type and send a question; return the service's JSON answer once the widget shows it."""
        answers = self.chat.locator("article.bot")
        before = answers.count()
        with self.page.expect_response(lambda r: r.url.endswith("/api/ask")) as info:
            self.chat.locator("input").fill(question)
            self.chat.locator("input").press("Enter")
        body = info.value.json()
        answers.nth(before).wait_for()
        return body


@pytest.fixture
def tab(browser, service: str) -> Iterator[Tab]:
    errors: list[str] = []
    with browser_page(browser, errors, viewport=DESKTOP) as page:
        yield Tab(page, service, errors)


def embed_page(body: str = "", style: str = "", tag: str = '<script src="/widget.js" async></script>') -> str:
    return (
        '<!doctype html><html lang="sv"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        f"<style>{style}</style></head><body><h2 id='probe'>Sida</h2><p>Text på sidan.</p>{body}{tag}</body></html>"
    )


# ---------------------------------------------------------------- tests


def test_demo_page_loads_cleanly(tab: Tab) -> None:
    response = tab.page.goto(tab.base + "/")
    assert response.status == 200
    assert tab.page.evaluate("document.documentElement.lang") == "sv"
    assert tab.page.locator("header.site").inner_text().count("Region Kronoberg") == 1
    tab.open()
    suggestions = tab.chat.locator(".sugg button")
    suggestions.first.wait_for()
    assert 3 <= suggestions.count() <= 4
    assert suggestions.first.inner_text() == "Hur hög är momsen i Sverige?"
    assert "automatisk assistent" in tab.chat.locator(".note").inner_text()
    widget = tab.page.request.get(tab.base + "/widget.js")
    assert widget.headers["cache-control"] == "public, max-age=3600"
    assert "innerHTML" not in widget.text()
    assert tab.errors == []


@pytest.mark.parametrize("lang", ["sv", "zh"])
def test_question_gets_answer_with_source_link(tab: Tab, lang: str) -> None:
    question, doc_id = QUESTIONS[lang]
    tab.page.goto(tab.base + "/")
    tab.open()
    body = tab.ask(question)
    assert body["no_answer"] is False and body["language"] == lang
    answer = tab.chat.locator("article.bot").last
    assert answer.locator("p.answer").inner_text() == body["answer"]
    link = answer.locator("ul.src a").first
    assert link.get_attribute("href") == f"https://example.org/{doc_id}"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    if lang == "zh":  # a Chinese source on the Swedish page is marked as such
        assert answer.locator(".badge").first.inner_text() == "på kinesiska"
    else:
        assert answer.locator(".badge").count() == 0
    # The passage behind the source opens with its matched sentence highlighted.
    passage = next(p for p in body["passages"] if p["doc_id"] == doc_id)
    more = answer.locator("button.more").first
    assert more.get_attribute("aria-expanded") == "false"
    more.click()
    assert more.get_attribute("aria-expanded") == "true"
    quote = answer.locator("blockquote").first
    assert quote.is_visible()
    assert quote.locator("mark").inner_text() == passage["text"][passage["match_start"] : passage["match_end"]]
    assert tab.errors == []


def test_language_switch_changes_texts_and_answer_language(tab: Tab) -> None:
    question = "Behöver jag visum till Kina?"
    tab.page.goto(tab.base + "/")
    tab.open()
    first = tab.ask(question)
    assert first["answer_language"] == "sv"
    assert tab.chat.locator("h2").inner_text() == "Fråga om Kronoberg och Suzhou"

    tab.chat.get_by_role("button", name="中文", exact=True).click()
    assert tab.chat.get_by_role("button", name="中文", exact=True).get_attribute("aria-pressed") == "true"
    assert tab.chat.locator("h2").inner_text() == "咨询克鲁努贝里与苏州"
    assert tab.chat.locator("input").get_attribute("placeholder") == "请输入您的问题…"
    assert "自动助手" in tab.chat.locator(".note").inner_text()
    tab.chat.locator(".sugg button", has_text="苏州工业园区是哪一年设立的？").wait_for()
    assert tab.chat.locator("article.bot h3").first.inner_text() == "来源"  # earlier answers are relabelled

    with tab.page.expect_request(lambda r: r.url.endswith("/api/ask")) as sent:
        second = tab.ask(question)
    assert sent.value.post_data_json == {"question": question, "lang": "zh"}
    assert second["answer_language"] == "zh"
    last = tab.chat.locator("article.bot").last
    assert last.get_attribute("lang") == "zh"
    assert last.locator("p.answer").inner_text() == second["answer"]

    tab.chat.get_by_role("button", name="English", exact=True).click()
    assert tab.chat.locator("h2").inner_text() == "Ask about Kronoberg and Suzhou"
    third = tab.ask(question)
    assert third["language"] == "en" and third["language_forced"] is True
    assert tab.errors == []


def test_no_answer_is_honest_and_shows_the_contact(tab: Tab) -> None:
    tab.page.goto(tab.base + "/")
    tab.open()
    body = tab.ask("Vem vann fotbolls-VM 1998?")
    assert body["no_answer"] is True
    reply = tab.chat.locator("article.bot").last
    text = reply.inner_text()
    assert body["message"] in text
    assert body["contact"] in text
    assert reply.locator(".contact a").get_attribute("href") == "https://www.regionkronoberg.se/"
    assert reply.locator("ul.src").count() == 0
    assert tab.errors == []


def test_keyboard_only(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/")
    tab.chat.locator(".launcher").wait_for()
    focused = "(() => { const a = document.activeElement; return a && a.tagName === 'KINABOT-CHAT' ? a.shadowRoot.activeElement?.className || a.shadowRoot.activeElement?.tagName : null })()"
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(focused) == "launcher":
            break
    else:
        pytest.fail("Tab never reached the launcher")
    page.keyboard.press("Enter")
    assert tab.chat.locator(".panel").is_visible()
    assert page.evaluate(focused) == "INPUT"
    tab.chat.locator(".sugg button").first.wait_for()
    with page.expect_response(lambda r: r.url.endswith("/api/ask")):
        page.keyboard.type("Hur hög är momsen i Sverige?")
        page.keyboard.press("Enter")
    tab.chat.locator("article.bot").first.wait_for()

    # From the launcher, Tab walks through every control of the open panel, each with a name.
    tab.chat.locator(".launcher").focus()
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        control = tab.shadow(
            "(() => { const a = root.activeElement; if (!a) return null;"
            " return [a.className || a.tagName, a.getAttribute('aria-label') || a.textContent.trim()]; })()"
        )
        if control is None:
            break
        assert control[1], f"control without a name: {control}"
        reached.append(control[0])
    assert {"x", "more", "A", "INPUT", "send"} <= set(reached), reached
    assert reached.count("BUTTON") >= 3 + 3 + 2  # languages, suggestions, feedback
    unnamed = "[...root.querySelectorAll('button, input, a')].filter(b => !(b.getAttribute('aria-label') || b.textContent.trim())).length"
    assert tab.shadow(unnamed) == 0

    tab.chat.locator("input").focus()
    page.keyboard.press("Escape")
    assert tab.chat.locator(".panel").is_hidden()
    assert page.evaluate(focused) == "launcher"
    assert tab.chat.locator(".launcher").get_attribute("aria-expanded") == "false"
    assert tab.errors == []


def test_phone_panel_fills_the_screen(browser, service: str) -> None:
    with browser_page(browser, [], viewport=PHONE, is_mobile=True, has_touch=True) as page:
        page.goto(service + "/")
        chat = page.locator("kinabot-chat")
        chat.locator(".launcher").click()
        box = chat.locator(".panel").bounding_box()
        assert abs(box["x"]) <= 1 and abs(box["y"]) <= 1
        assert abs(box["width"] - PHONE["width"]) <= 1 and abs(box["height"] - PHONE["height"]) <= 1
        chat.locator("input").fill("Hur hög är momsen i Sverige?")
        chat.locator("input").press("Enter")
        chat.locator("article.bot").first.wait_for()
        field_box = chat.locator("input").bounding_box()
        assert field_box["y"] > 0 and field_box["y"] + field_box["height"] <= PHONE["height"]
        chat.locator(".x").click()
        assert chat.locator(".panel").is_hidden() and chat.locator(".launcher").is_visible()


CONTRAST = """(() => {
  const lum = c => { const v = c.match(/[\\d.]+/g).map(Number).slice(0, 3).map(x => { x /= 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const back = e => { for (; e; e = e.parentElement || e.getRootNode().host) {
    const m = getComputedStyle(e).backgroundColor.match(/[\\d.]+/g);
    if (m && (m.length < 4 || +m[3] > 0.5)) return getComputedStyle(e).backgroundColor; } return 'rgb(255, 255, 255)'; };
  return SELECTORS.map(s => { const e = root.querySelector(s); if (!e) return [s, null];
    const a = lum(getComputedStyle(e).color) + 0.05, b = lum(back(e)) + 0.05; return [s, Math.max(a, b) / Math.min(a, b)]; });
})()"""
TEXTS = [
    "h2",
    ".langs button[aria-pressed=true]",
    ".langs button[aria-pressed=false]",
    ".welcome p",
    ".sugg button",
    ".me",
    "p.answer",
    "h3",
    ".src a",
    ".pub",
    ".badge",
    "button.more",
    ".fb span",
    ".note",
    "input",
    ".launcher",
    ".err p",
]


def test_text_contrast_meets_wcag_aa(tab: Tab) -> None:
    tab.page.goto(tab.base + "/")
    tab.open()
    tab.chat.locator(".sugg button").first.wait_for()
    tab.ask("苏州工业园区是哪一年设立的？")  # a Chinese source: the language badge shows
    tab.page.route("**/api/ask", lambda route: route.abort())
    tab.chat.locator("input").fill("Hur hög är momsen i Sverige?")
    tab.chat.locator("input").press("Enter")
    tab.chat.locator(".err").wait_for()
    ratios = dict(tab.shadow(CONTRAST.replace("SELECTORS", json.dumps(TEXTS))))
    low = {s: r for s, r in ratios.items() if r is None or r < 4.5}
    assert not low, low


STYLE_PROBE = """[root.querySelector('.kb'), root.querySelector('h2'), root.querySelector('input'),
  root.querySelector('.launcher'), root.querySelector('.sugg button'), root.querySelector('.note')].map(e => {
  const s = getComputedStyle(e); return [s.fontSize, s.fontFamily, s.color, s.fontWeight, s.lineHeight]; })"""


def test_host_css_does_not_reach_the_widget(tab: Tab) -> None:
    plain = tab.host("plain.html", embed_page())
    hostile = tab.host("hostile.html", embed_page(style="* { font: 40px serif !important; color: red !important }"))
    looks = []
    for url in (plain, hostile):
        tab.page.goto(url)
        tab.open()
        tab.chat.locator(".sugg button").first.wait_for()
        looks.append(tab.shadow(STYLE_PROBE))
    assert looks[0] == looks[1]
    assert looks[0][0][0] == "15px" and looks[0][0][1] != "serif"
    assert all(style[2] != "rgb(255, 0, 0)" for style in looks[1])
    # ... and the widget's CSS does not reach the page.
    probe = "(() => { const s = getComputedStyle(document.getElementById('probe')); return [s.fontSize, s.color, s.fontFamily]; })()"
    tab.page.goto(tab.host("bare.html", embed_page(tag="")))
    bare = tab.page.evaluate(probe)
    tab.page.goto(plain)
    tab.chat.locator(".launcher").wait_for()
    assert tab.page.evaluate(probe) == bare
    assert tab.errors == []


def test_markup_in_documents_shows_as_text_and_never_runs(tab: Tab) -> None:
    dialogs = []
    tab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.page.goto(tab.base + "/?lang=en")
    tab.open()
    body = tab.ask(XSS_QUESTION)
    assert body["sources"][0]["doc_id"] == "harbour-crane-article", body
    answer = tab.chat.locator("article.bot").last
    answer.locator("button.more").first.click()
    shown = answer.inner_text()
    assert XSS_IMG in shown and XSS_SCRIPT in shown
    assert "<em>draft</em>" in answer.locator("ul.src a").first.inner_text()
    tab.page.wait_for_timeout(300)
    assert tab.page.evaluate("window.__xss") is None
    assert tab.shadow("root.querySelectorAll('img, script, em').length") == 0
    assert dialogs == []
    assert tab.errors == []


def test_rate_limit_and_dropped_connection_are_polite(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/")
    tab.open()
    error = {"error": {"code": "rate_limited", "message": "Too many requests."}}
    page.route(
        "**/api/ask",
        lambda route: route.fulfill(
            status=429, headers={"Retry-After": "5"}, content_type="application/json", body=json.dumps(error)
        ),
    )
    tab.chat.locator("input").fill("Hur hög är momsen i Sverige?")
    tab.chat.locator("input").press("Enter")
    busy = tab.chat.locator(".err").last
    busy.wait_for()
    assert "Vänta 5 sekunder" in busy.inner_text()
    retry = busy.get_by_role("button", name="Försök igen")
    assert retry.is_disabled()  # until Retry-After has passed
    page.unroute("**/api/ask")

    page.route("**/api/ask", lambda route: route.abort())
    tab.chat.locator("input").fill("Behöver jag visum till Kina?")
    tab.chat.locator("input").press("Enter")
    offline = tab.chat.locator(".err").nth(1)
    offline.wait_for()
    assert "Vi når inte tjänsten just nu" in offline.inner_text()
    assert tab.chat.locator("[role=log]").get_attribute("aria-live") == "polite"
    page.unroute("**/api/ask")

    with page.expect_response(lambda r: r.url.endswith("/api/ask")) as info:
        offline.get_by_role("button", name="Försök igen").click()
    assert info.value.status == 200
    tab.chat.locator("article.bot").first.wait_for()
    assert tab.chat.locator("article.bot p.answer").first.inner_text() == info.value.json()["answer"]
    assert tab.chat.locator(".err").count() == 1
    expect = playwright_api.expect
    expect(retry).to_be_enabled(timeout=7_000)


def test_slow_service_times_out_politely(tab: Tab) -> None:
    tab.page.route("**/api/ask", lambda route: None)  # never answers
    tab.page.goto(
        tab.host(
            "slow.html", embed_page(tag='<script src="/widget.js" data-timeout="1" data-lang="en" async></script>')
        )
    )
    tab.open()
    tab.chat.locator("input").fill("When was Linnaeus University formed?")
    tab.chat.locator("input").press("Enter")
    tab.chat.locator(".wait").wait_for()
    message = tab.chat.locator(".err")
    message.wait_for(timeout=5_000)
    assert "taking unusually long" in message.inner_text()
    assert message.get_by_role("button", name="Try again").is_enabled()


def test_two_tags_mount_one_widget(tab: Tab) -> None:
    tags = '<script src="/widget.js" async></script><script src="/widget.js?again" async></script>'
    tab.page.goto(tab.host("twice.html", embed_page(tag=tags)))
    tab.page.wait_for_load_state("load")
    tab.chat.locator(".launcher").wait_for()
    tab.page.wait_for_timeout(200)
    assert tab.page.evaluate("document.querySelectorAll('kinabot-chat').length") == 1
    assert tab.chat.locator(".launcher").count() == 1
    assert tab.errors == []


def test_inline_mode_and_custom_element(tab: Tab) -> None:
    target = '<div id="help" style="height:560px"></div>'
    tab.page.goto(
        tab.host(
            "inline.html", embed_page(body=target, tag='<script src="/widget.js" data-target="#help" async></script>')
        )
    )
    inline = tab.page.locator("#help kinabot-chat")
    inline.locator(".panel").wait_for()
    assert inline.locator(".launcher").count() == 0
    assert inline.locator(".x").count() == 0
    box = inline.locator(".panel").bounding_box()
    assert abs(box["height"] - 560) <= 1

    element = (
        f'<kinabot-chat api="{tab.base}" lang="en" position="bottom-left" accent="#6b1d1d" open="true"></kinabot-chat>'
    )
    tab.page.goto(tab.host("element.html", embed_page(body=element)))
    chat = tab.page.locator("kinabot-chat")
    chat.locator(".panel").wait_for()
    assert chat.count() == 1  # the script tag does not add a second one
    assert chat.locator("h2").inner_text() == "Ask about Kronoberg and Suzhou"
    assert chat.locator(".launcher").bounding_box()["x"] < 100
    assert tab.shadow("getComputedStyle(root.querySelector('.launcher')).backgroundColor") == "rgb(107, 29, 29)"
    chat.locator(".sugg button").first.wait_for()
    assert chat.locator(".sugg button").first.inner_text() == "When was Linnaeus University formed?"
    chat.locator(".sugg button").first.click()
    chat.locator("article.bot").wait_for()
    assert "2010" in chat.locator("article.bot p.answer").inner_text()
    assert tab.errors == []


def test_nothing_stored_without_opt_in(tab: Tab) -> None:
    tab.page.goto(tab.base + "/")
    tab.open()
    tab.ask("Hur hög är momsen i Sverige?")
    tab.chat.get_by_role("button", name="Ja, svaret hjälpte", exact=True).click()
    stored = tab.page.evaluate("[document.cookie, localStorage.length, sessionStorage.length]")
    assert stored == ["", 0, 0]
    assert tab.page.context.cookies() == []


def test_persisted_conversation_survives_reload(tab: Tab) -> None:
    url = tab.host("persist.html", embed_page(tag='<script src="/widget.js" data-persist="true" async></script>'))
    tab.page.goto(url)
    tab.open()
    body = tab.ask("Hur hög är momsen i Sverige?")
    tab.page.reload()
    chat = tab.chat
    chat.locator("article.bot").first.wait_for()  # reopened with the conversation
    assert chat.locator(".me").first.inner_text().endswith("Hur hög är momsen i Sverige?")
    assert chat.locator("article.bot p.answer").first.inner_text() == body["answer"]
    assert tab.page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 1, ""]
    assert tab.errors == []


def test_feedback_is_posted(tab: Tab) -> None:
    tab.page.goto(tab.base + "/")
    tab.open()
    body = tab.ask("Hur hög är momsen i Sverige?")
    down = tab.chat.get_by_role("button", name="Nej, svaret hjälpte inte")
    with tab.page.expect_response(lambda r: r.url.endswith("/api/feedback")) as info:
        down.click()
    assert info.value.status == 202
    sent = info.value.request.post_data_json
    assert sent["vote"] == "down" and sent["question"] == "Hur hög är momsen i Sverige?"
    assert sent["doc_ids"] == [s["doc_id"] for s in body["sources"]] and sent["lang"] == "sv"
    assert down.get_attribute("aria-pressed") == "true"
    assert (
        tab.chat.get_by_role("button", name="Ja, svaret hjälpte", exact=True).get_attribute("aria-pressed") == "false"
    )
    assert "Tack" in tab.chat.locator(".fb").inner_text()
    assert tab.errors == []


@pytest.mark.parametrize("lang", ["sv", "zh", "en"])
def test_screenshots(tab: Tab, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    question, _ = QUESTIONS[lang]
    tab.page.goto(f"{tab.base}/?lang={lang}")
    tab.open()
    tab.chat.locator(".sugg button").first.wait_for()
    body = tab.ask(question)
    assert body["no_answer"] is False
    tab.chat.locator("button.more").first.click()
    tab.page.wait_for_timeout(150)
    desktop = SHOTS / f"widget-{lang}-desktop.png"
    tab.page.screenshot(path=str(desktop))
    tab.page.set_viewport_size(PHONE)
    tab.page.wait_for_timeout(150)
    phone = SHOTS / f"widget-{lang}-phone.png"
    tab.page.screenshot(path=str(phone))
    assert desktop.stat().st_size > 10_000 and phone.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nscreenshots: {desktop} {phone}")
    assert tab.errors == []
