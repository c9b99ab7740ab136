"""The app served by uvicorn on a free loopback port in a thread (browser and fuzz tests)."""

import threading
import time


def live_server(index, **settings):
    """Start the app over ``index`` on 127.0.0.1; return (base url, stop)."""
    import uvicorn

    from mmretrieval.server import ServerSettings, create_app

    server = uvicorn.Server(uvicorn.Config(create_app(index, ServerSettings(**settings)), host="127.0.0.1",
                                           port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop():
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop
