"""One OpenAI-compatible ``/v1/embeddings`` endpoint: requests, retries with backoff, and errors that say what to do.

Requests go through the ``openai`` client (the ``openai`` extra): the client users of these endpoints
already have, kept by the API's owner, and its retries are what we want: exponential backoff with
jitter (0.5 s doubling to 8 s), ``Retry-After`` honoured, connection errors, timeouts, 408, 409, 429 and
5xx retried, everything else (a wrong model, a bad key) reported at once.
"""

from __future__ import annotations

import os

from ..config import ApiTextConfig

NO_KEY = "no-key"  # sent when the key's variable is unset: local servers ignore keys; others answer 401


class EndpointError(RuntimeError):
    """The embeddings endpoint gave no vectors; the message says what was wrong and what to do."""


class EmbeddingsEndpoint:
    """``embed(texts) -> list of vectors`` from one model of one endpoint, as the endpoint returns them."""

    def __init__(self, config: ApiTextConfig):
        try:
            import openai
        except ImportError:
            raise ImportError('an API text tower (text.kind "openai") needs the openai client: '
                              'pip install "mmretrieval[openai]"') from None
        self.config = config
        self.openai = openai
        self.client = openai.OpenAI(api_key=os.environ.get(config.api_key_env) or NO_KEY, base_url=config.base_url,
                                    timeout=config.timeout, max_retries=config.max_retries)
        self.url = str(self.client.base_url).rstrip("/")

    def embed(self, texts: list[str]) -> list[list[float]]:
        extra = {"dimensions": self.config.dimensions} if self.config.dimensions else {}
        try:
            response = self.client.embeddings.create(model=self.config.model, input=texts, encoding_format="float",
                                                     **extra)
        except self.openai.APIError as err:
            raise EndpointError(self.explain(err)) from err
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(texts):
            raise EndpointError(f"{self.url} returned {len(data)} embeddings for {len(texts)} texts (model "
                                f"{self.config.model!r}); the server is not OpenAI-compatible here: report it to its maintainers")
        return [item.embedding for item in data]

    def explain(self, err) -> str:
        """What went wrong with a request, and what to do about it."""
        openai, model, n = self.openai, self.config.model, 1 + self.config.max_retries
        tries = f"{n} {'try' if n == 1 else 'tries'}"
        if isinstance(err, openai.APITimeoutError):
            return (f"the embeddings endpoint {self.url} did not answer within {self.config.timeout:g} s ({tries}): "
                    "check the server's load, or raise text.timeout in the model config")
        if isinstance(err, openai.APIConnectionError):
            cause = err.__cause__ or err
            return (f"cannot reach the embeddings endpoint {self.url} ({tries}, with backoff): {cause}. Start the "
                    "server, or fix the base URL (text.base_url in the model config, --text-endpoint)")
        status, message = getattr(err, "status_code", None), _server_message(err)
        if isinstance(err, (openai.AuthenticationError, openai.PermissionDeniedError)):
            where = ("is not set" if not os.environ.get(self.config.api_key_env) else "holds a key it refused")
            return (f"{self.url} refused the request (HTTP {status}): ${self.config.api_key_env} {where}. Set it to a "
                    "valid key (it is read from the environment, never stored with the model)")
        if isinstance(err, openai.NotFoundError):
            return (f"{self.url} has no model {model!r} (HTTP 404: {message}).{self._served()} Set text.model in the "
                    "model config (--text-model) to a model the endpoint serves, or fix text.base_url")
        if isinstance(err, (openai.BadRequestError, openai.UnprocessableEntityError)):
            dims = f" with dimensions={self.config.dimensions}" if self.config.dimensions else ""
            return (f"{self.url} refused to embed with model {model!r}{dims} (HTTP {status}: {message}). Check the "
                    "model name (text.model) and, where set, text.dimensions (not every model takes it)")
        return f"{self.url} answered HTTP {status} for model {model!r} ({tries}, with backoff): {message}"

    def _served(self) -> str:
        """`` It serves: a, b.`` where the endpoint lists its models (``GET /models``), else nothing."""
        try:
            names = [m.id for m in self.client.with_options(max_retries=0, timeout=5).models.list()]
        except Exception:  # many servers have no model list: the 404 says enough
            return ""
        return f" It serves: {', '.join(names)}." if names else ""


def _server_message(err) -> str:
    """What the server said: OpenAI's ``{"error": {"message"}}``, FastAPI's ``{"detail"}``, else the client's text."""
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        body = body.get("error") or body.get("detail") or body
    if isinstance(body, dict):
        body = body.get("message") or body
    return str(body) if body else getattr(err, "message", str(err))
