"""mermaid.js for the site, so diagrams render with the network closed.

Material for MkDocs fetches mermaid from a CDN unless a `mermaid` global already exists;
the site ships its own copy instead. It comes from the npm registry once, is checked
against the registry's published SHA-512 and is kept in the user's cache directory.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import pathlib
import tarfile
import urllib.request

VERSION = '11.17.2'
TARBALL = f'https://registry.npmjs.org/mermaid/-/mermaid-{VERSION}.tgz'
INTEGRITY = (  # the registry's `dist.integrity` for this version
    'sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhM'
    'RD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg=='
)
MEMBER = 'package/dist/mermaid.min.js'


class MermaidUnavailableError(RuntimeError):
    """mermaid.js could not be fetched or did not match its published digest."""


def cache_dir() -> pathlib.Path:
    base = os.environ.get('XDG_CACHE_HOME') or pathlib.Path.home() / '.cache'
    return pathlib.Path(base) / 'actionspec'


def script() -> bytes:
    """The contents of mermaid.min.js, fetched and verified the first time."""
    cached = cache_dir() / f'mermaid-{VERSION}.min.js'
    if cached.exists():
        return cached.read_bytes()
    try:
        with urllib.request.urlopen(TARBALL, timeout=60) as response:
            tarball = response.read()
    except OSError as e:
        raise MermaidUnavailableError(f'cannot fetch {TARBALL}: {e}') from None
    digest = 'sha512-' + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if digest != INTEGRITY:
        raise MermaidUnavailableError(f'{TARBALL}: digest {digest} is not the published one')
    with tarfile.open(fileobj=io.BytesIO(tarball), mode='r:gz') as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise MermaidUnavailableError(f'{TARBALL} has no {MEMBER}')
        data = member.read()
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f'.{cached.name}.{os.getpid()}')
    tmp.write_bytes(data)
    os.replace(tmp, cached)
    return data
