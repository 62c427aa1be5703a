"""The admin page (web/admin.html + web/admin.js) in a real browser, against the real service.

`kinabot serve` runs in a subprocess with an admin token and its own SQLite database; the
questions and feedback the page reports are asked through the public API first. The page
must run under the service's strict CSP without a console error. Screenshot:
build/screenshots/admin.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
import urllib.error
import urllib.request
from collections import Counter
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
LAPTOP = {"width": 1366, "height": 900}
TOKEN = "admin-page-test-token-0123456789abcdef"
WRONG = "not-the-admin-token-0123456789abcdefgh"

EMAIL = "anna.svensson@example.se"
NO_ANSWER = "Vem vann fotbolls-VM 1998?"
MARKUP = '<img src=x onerror="window.__xss=1"> vad är momsen?'
# (question, forced language or None); the VAT question twice so it leads the most asked.
QUESTIONS = [
    ("Hur hög är momsen i Sverige?", None),
    ("Hur hög är momsen i Sverige?", None),
    ("苏州工业园区是哪一年设立的？", None),
    ("When was Linnaeus University formed?", None),
    (NO_ANSWER, "sv"),
    (f"kontakta {EMAIL} om moms", "sv"),
    (MARKUP, "sv"),
]


# ---------------------------------------------------------------- the service


def _call(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:
    """`kinabot serve` with the admin on, on a free loopback port and a small corpus."""
    from kinabot.corpus import load_corpus
    from kinabot.index import build_index

    work = tmp_path_factory.mktemp("admin-page")
    corpus = write_corpus(work / "corpus")
    index_dir = work / "indexes"
    build_index(load_corpus(corpus), embedder, index_dir)

    env = {
        "KINABOT_ADMIN_TOKEN": TOKEN,
        "KINABOT_CORPUS_DIR": str(corpus),
        "KINABOT_INDEX_DIR": str(index_dir),
        "KINABOT_WEB_DIR": str(ROOT / "web"),
        "KINABOT_DATA_DIR": str(work / "data"),
        "KINABOT_RATE_LIMIT_PER_MINUTE": "0",
        "KINABOT_DATABASE_URL": None,  # this test's own SQLite file, never a shared database
    }
    with running_service(env, work / "serve.log") as base:
        yield base


@dataclass
class Asked:
    """What was asked through the public API, as the report should count it."""

    questions: int
    no_answer: int
    languages: Counter[str]
    up: int
    down: int
    vat_docs: list[str]


@pytest.fixture(scope="module")
def asked(service: str) -> Asked:
    answers = []
    for question, lang in QUESTIONS:
        status, body = _call(service + "/api/ask", {"question": question, **({"lang": lang} if lang else {})})
        assert status == 200, body
        answers.append(json.loads(body))
    by_question = {a["question"]: a for a in answers}
    assert by_question[NO_ANSWER]["no_answer"] is True
    vat = by_question["Hur hög är momsen i Sverige?"]
    assert vat["no_answer"] is False
    vat_docs = [s["doc_id"] for s in vat["sources"]]
    linnaeus = by_question["When was Linnaeus University formed?"]
    votes = [
        {"question": vat["question"], "vote": "up", "doc_ids": vat_docs, "lang": "sv"},
        {
            "question": linnaeus["question"],
            "vote": "down",
            "doc_ids": [s["doc_id"] for s in linnaeus["sources"]],
            "lang": "en",
        },
    ]
    for vote in votes:
        status, body = _call(service + "/api/feedback", vote)
        assert status == 202, body
    expected = Asked(
        questions=len(answers),
        no_answer=sum(a["no_answer"] for a in answers),
        languages=Counter(a["language"] for a in answers),
        up=1,
        down=1,
        vat_docs=vat_docs,
    )
    # Recording happens on a background thread: wait until the report counts every row.
    today = dt.datetime.now(dt.UTC).date()
    url = f"{service}/admin/api/report?since={today - dt.timedelta(days=1)}&until={today}"
    deadline = time.monotonic() + 30
    while True:
        status, body = _call(url, token=TOKEN)
        assert status == 200, body
        report = json.loads(body)
        if report["questions"] == expected.questions and report["feedback"] == expected.up + expected.down:
            return expected
        assert time.monotonic() < deadline, f"the report never caught up: {report}"
        time.sleep(0.2)


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as found:
        yield found


# Runs before the page's own script; records what the CSP refused, whatever the console says.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '')));
"""


@dataclass
class Tab:
    page: object
    base: str
    errors: list[str] = field(default_factory=list)

    def sign_in(self, token: str, remember: bool = False) -> None:
        self.page.get_by_label("Admin token").fill(token)
        self.page.get_by_label("Remember for this tab").set_checked(remember)
        self.page.get_by_role("button", name="Sign in").click()

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__csp || []")

    def unexpected_errors(self) -> list[str]:
        # The wrong token's 401 is logged by Chromium itself as a failed resource; nothing else may be.
        return [e for e in self.errors if not ("Failed to load resource" in e and "401" in e)]


@pytest.fixture
def tab(browser, service: str, asked: Asked) -> Iterator[Tab]:
    errors: list[str] = []
    with browser_page(browser, errors, WATCH_CSP, viewport=LAPTOP, accept_downloads=True) as page:
        yield Tab(page, service, errors)


def _percent(part: int, whole: int) -> str:
    return f"{round(part / whole, 4) * 100:.1f} %"


# ---------------------------------------------------------------- tests


def test_script_is_served_like_the_page(service: str) -> None:
    with urllib.request.urlopen(service + "/admin/admin.js", timeout=10) as response:
        assert response.headers["content-type"] == "application/javascript; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"
        script = response.read().decode()
    with urllib.request.urlopen(service + "/admin", timeout=10) as response:
        page = response.read().decode()
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert '<script src="/admin/admin.js" defer></script>' in page
    assert "<script>" not in page and "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_admin_page_is_off_without_a_token(settings, retriever) -> None:
    from fastapi.testclient import TestClient

    from kinabot.api import create_app

    off = settings.model_copy(update={"admin_token": None, "record_questions": False, "web_dir": ROOT / "web"})
    with TestClient(create_app(off, retriever=retriever)) as client:
        assert client.get("/admin").status_code == 404
        assert client.get("/admin/admin.js").status_code == 404


def test_report_documents_and_csv(tab: Tab, asked: Asked, capsys: pytest.CaptureFixture[str]) -> None:
    page = tab.page
    assert page.goto(tab.base + "/admin").status == 200
    today = dt.datetime.now(dt.UTC).date()
    assert page.get_by_label("To", exact=True).input_value() == today.isoformat()
    assert page.get_by_label("From", exact=True).input_value() == (today - dt.timedelta(days=29)).isoformat()

    tab.sign_in(WRONG)
    error = page.locator("#signin-error")
    playwright_api.expect(error).to_contain_text("Wrong token")
    assert page.locator("#app").is_hidden()
    assert page.get_by_label("Admin token").input_value() == ""
    assert tab.unexpected_errors() == []

    tab.sign_in(TOKEN)
    playwright_api.expect(page.locator("#report-status")).to_contain_text("Showing")
    assert page.locator("#signin").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0, "the token is kept only in memory unless asked"

    # totals
    assert page.locator("#t-questions").inner_text() == str(asked.questions)
    assert page.locator("#t-noanswer-rate").inner_text() == _percent(asked.no_answer, asked.questions)
    assert page.locator("#t-up").inner_text() == str(asked.up)
    assert page.locator("#t-down").inner_text() == str(asked.down)
    assert page.locator("#t-latency").inner_text().endswith(" ms")

    # per language and per day
    for lang, name in (("sv", "Swedish (sv)"), ("zh", "Chinese (zh)"), ("en", "English (en)")):
        row = page.locator("#langs-table tr", has_text=name)
        assert row.locator("td").nth(1).inner_text() == str(asked.languages[lang])
    chart = page.locator("#days-chart svg")
    assert chart.count() == 1
    assert chart.locator("rect").count() > 0
    today_bar = chart.locator("g title", has_text=today.isoformat()).text_content()
    assert today_bar.startswith(f"{today}: {asked.questions} questions, {asked.no_answer} without")
    assert page.locator("#langs-chart svg").count() == 1

    # most asked, unanswered, feedback per document
    top = page.locator("#top-table")
    assert top.locator("tr").first.inner_text().startswith("hur hög är momsen i sverige")
    assert "kontakta [e-mail] om moms" in top.inner_text()
    assert EMAIL not in page.content()
    assert MARKUP.lower().rstrip("?") in top.inner_text(), "markup in a question shows as text"
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img").count() == 0
    assert "vem vann fotbolls-vm 1998" in page.locator("#unanswered-table").inner_text()
    assert "hur hög är momsen" not in page.locator("#unanswered-table").inner_text()
    vat_row = page.locator("#feedback-table tr", has_text=asked.vat_docs[0])
    assert vat_row.locator("td").nth(1).inner_text() == "1"

    # documents and the last build
    docs = page.locator("#docs-table")
    playwright_api.expect(docs).to_contain_text("linnaeus-university")
    assert "suzhou-cooperation" in docs.inner_text()
    assert page.locator("#build-state").inner_text() != ""

    # the CSV, fetched with the token and saved through a Blob link
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == f"kinabot-report-{today - dt.timedelta(days=29)}-{today}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows and "section" in rows[0]
    assert rows[0]["section"] == "period" and rows[0]["count"] == str(asked.questions)
    assert {"language", "day", "top_question", "unanswered", "document"} <= {r["section"] for r in rows}
    playwright_api.expect(page.locator("#report-status")).to_contain_text("Downloaded")

    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "admin.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    with capsys.disabled():
        print(f"\nscreenshot: {shot}")
    assert tab.csp_violations() == []
    assert tab.unexpected_errors() == []


def test_period_change_and_an_empty_period(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/admin")
    tab.sign_in(TOKEN)
    playwright_api.expect(page.locator("#report-status")).to_contain_text("Showing")
    page.get_by_label("From", exact=True).fill("2020-01-01")
    page.get_by_label("To", exact=True).fill("2020-01-07")
    page.get_by_role("button", name="Show", exact=True).click()
    playwright_api.expect(page.locator("#report-status")).to_contain_text("2020-01-01 to 2020-01-07")
    assert page.locator("#t-questions").inner_text() == "0"
    assert "Every question in this period got an answer" in page.locator("#unanswered-table").inner_text()
    assert page.locator("#days-table tr").count() == 7
    page.get_by_label("From", exact=True).fill("2020-02-01")
    page.get_by_role("button", name="Show", exact=True).click()
    playwright_api.expect(page.locator("#report-error")).to_contain_text("must not be after")
    assert tab.csp_violations() == [] and tab.errors == []


def test_remember_for_this_tab(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/admin")
    tab.sign_in(TOKEN, remember=True)
    playwright_api.expect(page.locator("#report-status")).to_contain_text("Showing")
    page.reload()
    playwright_api.expect(page.locator("#report-status")).to_contain_text("Showing")
    assert page.locator("#signin").is_hidden()
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("#signin").is_visible()
    assert page.evaluate("sessionStorage.length") == 0
    page.reload()
    assert page.locator("#signin").is_visible() and page.locator("#app").is_hidden()
    assert tab.csp_violations() == [] and tab.errors == []


def test_rebuild_is_followed_until_it_ends(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/admin")
    tab.sign_in(TOKEN)
    playwright_api.expect(page.locator("#docs-table")).to_contain_text("swedish-vat")
    polls: list[str] = []
    page.on("request", lambda r: r.url.endswith("/admin/api/rebuild") and polls.append(r.method))
    with page.expect_response(lambda r: r.url.endswith("/admin/api/rebuild") and r.request.method == "POST") as info:
        page.get_by_role("button", name="Rebuild").click()
    assert info.value.status == 202
    assert page.get_by_role("button", name="Rebuild").is_disabled()
    playwright_api.expect(page.locator("#index-status")).to_contain_text("The build is done", timeout=180_000)
    assert page.locator("#build-state").inner_text() == "done"
    assert page.get_by_role("button", name="Rebuild").is_enabled()
    assert polls.count("GET") >= 1
    playwright_api.expect(page.locator("#docs-table")).to_contain_text("swedish-vat")
    assert tab.csp_violations() == [] and tab.errors == []
