"""``mmretrieval serve``: the HTTP API and search page over a collection (needs the ``serve`` extra)."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys

from .rag import add_generator_arguments, generator_config
from .store_args import add_store_arguments, open_index

logger = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="serve the search API and web page (default http://127.0.0.1:8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--server-key", default=os.environ.get("MMRETRIEVAL_API_KEY"), metavar="KEY",
                        help="require this key (X-API-Key header) on /api requests (default: $MMRETRIEVAL_API_KEY; "
                             "unset: open). Not --api-key, which is the Qdrant server's")
    parser.add_argument("--max-upload-mb", type=float, default=10.0, help="largest request body accepted (default: 10)")
    add_generator_arguments(parser)
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    try:
        import uvicorn

        from ..server import ServerSettings, create_app
        from ..server.memory import limit_malloc_arenas
    except ImportError as err:
        print(f"mmretrieval serve: error: {err}; the server needs its extra: pip install 'mmretrieval[serve]'",
              file=sys.stderr)
        return 2
    if args.max_upload_mb <= 0:
        raise ValueError(f"--max-upload-mb must be > 0, got {args.max_upload_mb}")
    if not _is_loopback(args.host) and not args.server_key:
        logger.warning("serving on %s without an API key: anyone who can reach it can search and read indexed images "
                       "(set --server-key or MMRETRIEVAL_API_KEY)", args.host)
    settings = ServerSettings(api_key=args.server_key or None, max_upload_bytes=int(args.max_upload_mb * 2**20),
                              generator=generator_config(args))
    limit_malloc_arenas()  # (before the model's and the server's threads: see server/memory.py)
    with open_index(args, must_exist=True) as index:  # (reads only: a misspelt --store is refused, not made)
        index.model  # load the model before the first request, not during it
        print(f"serving {index.count()} points from {index.store.location} on http://{args.host}:{args.port}/")
        uvicorn.run(create_app(index, settings), host=args.host, port=args.port, log_level="warning")
    return 0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
