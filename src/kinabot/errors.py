"""Domain errors with a machine code, an HTTP status and a message in each language.

The core raises these; the API maps them to one JSON shape and the CLI prints them.
"""

from __future__ import annotations

from typing import ClassVar


class KinabotError(Exception):
    code = "error"
    status = 500
    messages: ClassVar[dict[str, str]] = {"en": "Something went wrong."}

    def __init__(self, detail: str | None = None, **params: object) -> None:
        self.params = params
        self.detail = detail
        super().__init__(detail or self.message("en"))

    def message(self, lang: str) -> str:
        template = self.messages.get(lang) or self.messages["en"]
        return template.format(**self.params)


class QuestionEmpty(KinabotError):
    code = "question_empty"
    status = 422
    messages: ClassVar[dict[str, str]] = {
        "sv": "Skriv en fråga.",
        "zh": "请输入问题。",
        "en": "Please type a question.",
    }


class QuestionTooLong(KinabotError):
    code = "question_too_long"
    status = 422
    messages: ClassVar[dict[str, str]] = {
        "sv": "Frågan är för lång ({length} tecken). Korta den till högst {limit} tecken.",
        "zh": "问题太长（{length} 个字符）。请缩短到 {limit} 个字符以内。",
        "en": "The question is too long ({length} characters). Shorten it to at most {limit} characters.",
    }


class InvalidRequest(KinabotError):
    code = "invalid_request"
    status = 422
    messages: ClassVar[dict[str, str]] = {
        "sv": "Ogiltig förfrågan: {problem}",
        "zh": "请求无效：{problem}",
        "en": "Invalid request: {problem}",
    }


class IndexNotReady(KinabotError):
    code = "index_not_ready"
    status = 503
    messages: ClassVar[dict[str, str]] = {
        "sv": "Tjänsten startar eller saknar sitt index. Försök igen om en stund.",
        "zh": "服务正在启动或尚未建立索引，请稍后再试。",
        "en": "The service is starting or has no index yet. Please try again shortly.",
    }


class RateLimited(KinabotError):
    code = "rate_limited"
    status = 429
    messages: ClassVar[dict[str, str]] = {
        "sv": "Du har ställt många frågor på kort tid. Vänta {retry_after} sekunder och försök igen.",
        "zh": "您的提问过于频繁。请等待 {retry_after} 秒后再试。",
        "en": "You have asked many questions in a short time. Please wait {retry_after} seconds and try again.",
    }

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)
        self.retry_after = retry_after


class BodyTooLarge(KinabotError):
    code = "body_too_large"
    status = 413
    messages: ClassVar[dict[str, str]] = {
        "sv": "Förfrågan är för stor (högst {limit} byte).",
        "zh": "请求内容过大（最多 {limit} 字节）。",
        "en": "The request is too large (at most {limit} bytes).",
    }
