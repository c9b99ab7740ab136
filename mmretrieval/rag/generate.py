"""Optional generation: send a context bundle to an OpenAI-compatible ``/chat/completions`` endpoint."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from .bundle import ContextBundle

ENV_URL, ENV_MODEL, ENV_KEY = "MMRETRIEVAL_LLM_URL", "MMRETRIEVAL_LLM_MODEL", "MMRETRIEVAL_LLM_API_KEY"


@dataclass(frozen=True)
class GeneratorConfig:
    """Where to generate: ``url`` is the API base (``http://host:port/v1``) or the full completions URL."""

    url: str
    model: str
    api_key: Optional[str] = None
    timeout: float = 120.0
    max_tokens: int = 512
    temperature: float = 0.2
    max_image_side: int = 768

    @classmethod
    def from_env(cls, url=None, model=None, api_key=None, **kwargs) -> Optional["GeneratorConfig"]:
        """Flags first, then ``MMRETRIEVAL_LLM_URL`` / ``_MODEL`` / ``_API_KEY``; None when no URL is set."""
        url = url or os.environ.get(ENV_URL)
        if not url:
            return None
        model = model or os.environ.get(ENV_MODEL)
        if not model:
            raise ValueError(f"a generator URL is set but no model: pass --llm-model or set {ENV_MODEL}")
        return cls(url=url, model=model, api_key=api_key or os.environ.get(ENV_KEY), **kwargs)

    @property
    def completions_url(self) -> str:
        url = self.url.rstrip("/")
        return url if url.endswith("/chat/completions") else url + "/chat/completions"


class GenerationError(OSError):
    """The endpoint could not be reached or answered something that is not a chat completion."""


def generate(bundle: ContextBundle, config: GeneratorConfig) -> str:
    """The model's answer to ``bundle.question`` given its sources (images attached as data URLs)."""
    import httpx

    body = {
        "model": config.model,
        "messages": bundle.to_messages(config.max_image_side),
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
    }
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    try:
        response = httpx.post(config.completions_url, json=body, headers=headers, timeout=config.timeout)
    except httpx.HTTPError as err:
        raise GenerationError(f"could not reach the generator at {config.completions_url}: {err}") from err
    if response.status_code != 200:
        raise GenerationError(
            f"generator at {config.completions_url} answered HTTP {response.status_code}: {response.text[:300]}"
        )
    try:
        return response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise GenerationError(f"generator answered something that is not a chat completion: {response.text[:300]}") from err
