"""A headless Chromium driven over the DevTools protocol, for checking the built site.

The browser may reach 127.0.0.1 only: every other host name resolves to nothing, so a page
that needs the network shows it by failing.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import itertools
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import websocket

from .helpers import chromium_path

FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--window-size=1280,1600',
    '--remote-debugging-port=0',
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(directory: pathlib.Path) -> Iterator[str]:
    """Serve `directory` on a free localhost port; yields the base URL."""

    def handler(*args: Any) -> _Quiet:
        return _Quiet(*args, directory=str(directory))

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()


class Page:
    """One browser tab: navigate, evaluate JavaScript, take screenshots."""

    def __init__(self, ws_url: str) -> None:
        self._ws = websocket.create_connection(ws_url, timeout=30)
        self._ids = itertools.count(1)
        self.failed_requests: list[str] = []  # 'URL: error' for every request that failed
        self._urls: dict[str, str] = {}
        self.call('Network.enable')
        self.call('Page.enable')

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._ws.send(json.dumps({'id': message_id, 'method': method, 'params': params}))
        while True:
            message = json.loads(self._ws.recv())
            event, params = message.get('method'), message.get('params', {})
            if event == 'Network.requestWillBeSent':
                self._urls[params['requestId']] = params['request']['url']
            elif event == 'Network.loadingFailed':
                url = self._urls.get(params['requestId'], '?')
                self.failed_requests.append(f'{url}: {params.get("errorText", "")}')
            if message.get('id') == message_id:
                if 'error' in message:
                    raise RuntimeError(f'{method}: {message["error"]}')
                result: dict[str, Any] = message.get('result', {})
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call('Runtime.evaluate', expression=expression, returnByValue=True)
        if 'exceptionDetails' in result:
            raise RuntimeError(f'{expression}: {result["exceptionDetails"]}')
        return result['result'].get('value')

    def goto(self, url: str, *, until: str = 'true', timeout: float = 20.0) -> None:
        """Open `url` and wait until the JavaScript condition `until` holds."""
        self.call('Page.navigate', url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f'document.readyState === "complete" && Boolean({until})'):
                return
            time.sleep(0.1)
        raise TimeoutError(f'{url}: {until} did not hold within {timeout} s')

    def screenshot(self, path: pathlib.Path) -> None:
        data = self.call('Page.captureScreenshot', format='png', captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data['data']))

    def close(self) -> None:
        self._ws.close()


@contextmanager
def chromium() -> Iterator[Page]:
    """A fresh headless Chromium with an empty profile, closed afterwards."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError('chromium is not installed: `make test` installs it (apt-get)')
    with tempfile.TemporaryDirectory(prefix='actionspec-chromium-') as profile:
        process = subprocess.Popen(
            [executable, *FLAGS, f'--user-data-dir={profile}', 'about:blank'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its helpers too, so all of them can be ended
            env={**os.environ, 'TMPDIR': profile},  # its own scratch files go with the profile
        )
        try:
            assert process.stderr is not None
            port = None
            for line in process.stderr:
                found = re.search(r'DevTools listening on ws://127\.0\.0\.1:(\d+)/', line)
                if found:
                    port = found.group(1)
                    break
            if port is None:
                raise RuntimeError('chromium did not start its DevTools endpoint')
            threading.Thread(target=process.stderr.read, daemon=True).start()
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list') as response:
                tabs = json.load(response)
            page = Page(next(t for t in tabs if t['type'] == 'page')['webSocketDebuggerUrl'])
            try:
                yield page
            finally:
                page.close()
        finally:
            _end_group(process)


def _end_group(process: subprocess.Popen[str]) -> None:
    """End Chromium and every helper it started, and wait until all are gone: a helper
    still writing to the profile would make removing it fail."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            process.poll()  # reap the leader; its helpers are reaped by init
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
