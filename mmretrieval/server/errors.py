"""Error answers: validation errors that say what was wrong without echoing the request back, and a
malformed multipart body answered (and logged) with its request."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

logger = logging.getLogger("mmretrieval.server")
PARSER_LOGGER = "python_multipart.multipart"  # logs each parse error alone, with no request: we log it with one


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        # FastAPI's default puts each offending value ("input") in the answer: a 5,000-character
        # query came back whole. Keep where and what, drop the echo.
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        form_error = exc.__context__  # Starlette answers a MultiPartException with a bare 400
        if exc.status_code != 400 or not isinstance(form_error, MultiPartException):
            return await http_exception_handler(request, exc)
        reason = str(form_error.__cause__ or form_error.message)  # the parser's own words, when it had some
        client = f"{request.client.host}:{request.client.port}" if request.client else "unknown client"
        logger.warning("malformed multipart body: %s %s from %s: %s", request.method, request.url.path, client, reason)
        return JSONResponse({"detail": f"the multipart body is malformed ({reason}); send the image as "
                                       "multipart/form-data with one part named 'file'"}, status_code=400)

    quiet = logging.getLogger(PARSER_LOGGER)
    if not any(isinstance(f, _ParseWarnings) for f in quiet.filters):
        quiet.addFilter(_ParseWarnings())


class _ParseWarnings(logging.Filter):
    """Drops the warnings the multipart parser logs as it raises a parse error (``http_error`` logs that
    error with its request); keeps its other records."""

    def filter(self, record: logging.LogRecord) -> bool:
        raised = record.funcName == "_internal_write" and record.levelno == logging.WARNING
        return not raised or record.getMessage() == "Look-back buffer error"  # (the one it does not raise)
