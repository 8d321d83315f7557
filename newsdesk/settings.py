"""One typed settings object, read from NEWSDESK_* variables and `.env`.

Built once in an entry point and passed down; nothing else reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AnswererName = Literal["extractive", "ollama", "openai"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSDESK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # `NEWSDESK_X=` (an empty line in .env, or compose's `${X:-}`) means "use the default".
        env_ignore_empty=True,
    )

    # --- data and index -------------------------------------------------------------
    data_dir: Path = Field(Path(".newsdesk"), description="Where the local index, feedback and state live.")
    corpus_dir: Path = Field(Path("corpus"), description="Folder of articles to index.")

    @field_validator("data_dir", "corpus_dir", "prompts_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        """Relative folders are taken from where newsdesk starts, and shown absolute in every message."""
        return None if value is None else value.expanduser().absolute()
    chroma_url: str | None = Field(
        None, description="Chroma server URL (e.g. http://127.0.0.1:8000); unset = embedded store on disk."
    )
    collection: str = Field("newsdesk", description="Base name of the Chroma collections.")
    chroma_timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Per read request to a Chroma server (a question's search): a hung server "
        "fails the question after this long. Build writes get max(this, 60 s).",
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: 'all-MiniLM-L6-v2' (bundled, offline) or a local model folder.",
    )
    embedding_batch_size: int = Field(64, ge=1, le=1024)
    chunk_size: int = Field(500, ge=100, le=4000, description="Target chunk length in characters.")
    hnsw_ef_search: int = Field(
        400,
        ge=10,
        le=5000,
        description="HNSW search breadth of new index generations (Chroma's default is 100). "
        "At 100k chunks 400 found 86% of the exact top-10 vs 69% at 100, for <10 ms (bench).",
    )
    hnsw_sync_threshold: int | None = Field(
        default=None,
        ge=2,
        description="Chroma hnsw sync_threshold of new chunk collections (records between writes of "
        "the vector index to disk; Chroma keeps its write-ahead log until then). None: Chroma's 1000",
    )
    chunk_overlap: int = Field(100, ge=0, le=2000, description="Overlap between chunks in characters.")

    # --- answering ------------------------------------------------------------------
    answerer: AnswererName = Field("extractive", description="extractive (offline default), ollama or openai.")
    top_k: int = Field(6, ge=1, le=50, description="Chunks handed to the answerer.")
    serve_torch_threads: int = Field(
        1,
        ge=0,
        le=256,
        description="Torch threads when answering (ask, chat, bot, eval); 0 = torch's default. "
        "One thread answers fastest on a small shared CPU (bench/results.md).",
    )
    sentence_budget: int = Field(
        8,
        ge=0,
        le=500,
        description="Candidate sentences the extractive answerer embeds per question (best keyword "
        "and retrieval rank first); 0 = all. Embedding is ~25 ms a sentence on one core.",
    )
    parse_budget: int = Field(
        12,
        ge=0,
        le=500,
        description="Candidate sentences the extractive answerer parses (spaCy) per question: those "
        "sharing the most question words, plus the sentence after each; 0 = all. Parsing is ~5 ms "
        "a sentence on one core.",
    )
    max_question_chars: int = Field(1000, ge=10, le=20000)
    llm_model: str = Field("llama3.2:3b", description="Model name for the ollama/openai answerers.")
    ollama_url: str = Field("http://127.0.0.1:11434")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="Any OpenAI-compatible endpoint.")
    openai_api_key: SecretStr = Field(SecretStr("not-needed"))
    llm_timeout_s: float = Field(30.0, gt=0, le=600)
    llm_uncited: Literal["extractive", "refuse"] = Field(
        "extractive",
        description="What an LLM answer with no valid citation becomes: the extractive answer "
        "or a refusal.",
    )
    prompts_dir: Path | None = Field(
        None, description="Folder with answer.txt and condense.txt; unset = the shipped prompts/."
    )

    # --- discord ----------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, description="Bot token (required by `newsdesk bot`).")
    discord_token_file: Path | None = Field(
        None,
        description="File holding the bot token, e.g. the compose secret "
        "/run/secrets/discord_token; read into discord_token at start-up. "
        "Exclusive with NEWSDESK_DISCORD_TOKEN.",
    )
    discord_api_base: str | None = Field(
        None, description="Discord-compatible REST base, e.g. http://127.0.0.1:PORT/api/v10."
    )
    discord_gateway_url: str | None = Field(
        None, description="Discord-compatible gateway, e.g. ws://127.0.0.1:PORT/gateway."
    )
    discord_guild_id: int | None = Field(
        None, description="Sync slash commands to this guild only (instant); unset = global sync."
    )
    discord_cooldown_rate: int = Field(3, ge=1, le=1000, description="Questions per user per window.")
    discord_cooldown_per_s: float = Field(30.0, gt=0, le=86400, description="Cooldown window (s).")
    discord_max_concurrency: int = Field(4, ge=1, le=64, description="Questions answered at once.")
    discord_history_turns: int = Field(6, ge=0, le=50, description="Turns remembered per thread.")
    discord_memory_channels: int = Field(
        1000, ge=1, le=1_000_000, description="Threads/channels whose history is kept (LRU)."
    )
    discord_message_content: bool = Field(
        False,
        description="Ask for the privileged Message Content intent (enable it in the Developer "
        "Portal too): needed for thread follow-ups without a mention and for auto-answer "
        "channels. Mentions and DMs work without it.",
    )
    discord_shutdown_grace_s: float = Field(
        20.0,
        gt=0,
        le=600,
        description="On SIGTERM, seconds to finish answers in flight before closing them with "
        "a 'restarting' note; keep it under compose's stop_grace_period (30 s).",
    )
    discord_stream_edit_s: float = Field(
        1.0, ge=0.2, le=30, description="Minimum seconds between edits of a streamed reply."
    )

    # `newsdesk ingest` (issue 13): politeness and limits for fetching articles and feeds
    ingest_timeout_s: float = Field(15.0, gt=0, le=300, description="Per-request time limit (s).")
    ingest_max_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024, description="Largest page or feed fetched."
    )
    ingest_user_agent: str = Field(
        "newsdesk/0.1 (+https://github.com/newsdesk; article ingest)",
        description="User-Agent sent with every request; robots.txt rules for it are obeyed.",
    )
    ingest_delay_s: float = Field(
        1.0, ge=0, le=60, description="Minimum seconds between requests to the same host."
    )
    ingest_min_chars: int = Field(
        300, ge=0, le=100_000, description="Shorter extracted text is refused (paywall stub, teaser)."
    )

    log_level: str = Field("INFO")

    @model_validator(mode="after")
    def _read_discord_token_file(self) -> Settings:
        """Compose secrets arrive as files: a token never sits in the image or in `environment:`."""
        if self.discord_token is not None and not self.discord_token.get_secret_value().strip():
            self.discord_token = None  # an empty NEWSDESK_DISCORD_TOKEN= line means "unset"
        if self.discord_token_file is None:
            return self
        if self.discord_token is not None:
            raise ValueError(
                "set either NEWSDESK_DISCORD_TOKEN or NEWSDESK_DISCORD_TOKEN_FILE, not both "
                "(remove one of them from the environment or .env)"
            )
        path = self.discord_token_file
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(
                f"cannot read NEWSDESK_DISCORD_TOKEN_FILE {path}: {exc.strerror or exc}; "
                "create it (one line, the bot token) and make it readable by the bot's user"
            ) from exc
        if not token:
            raise ValueError(
                f"NEWSDESK_DISCORD_TOKEN_FILE {path} is empty: write the bot token into it"
            )
        self.discord_token = SecretStr(token)
        return self
