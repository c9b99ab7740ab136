"""What a server is started with: API key, upload limit, generator, largest ``limit`` a request may ask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..rag.generate import GeneratorConfig


@dataclass(frozen=True)
class ServerSettings:
    api_key: Optional[str] = None
    max_upload_bytes: int = 10 * 2**20
    generator: Optional[GeneratorConfig] = None
    max_limit: int = 100
