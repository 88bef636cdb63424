"""Downloads: streamed into the cache, checksummed, never left half-written (served on loopback)."""

import hashlib
import http.server
import socket
import threading
from functools import partial

import pytest

from dyadic.config import Settings
from dyadic.errors import SourceFormatError, SourceMissingError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.fetch import download


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "file.csv").write_bytes(b"a,b\n1,2\n" * 1000)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()


def test_download_with_checksum(server, tmp_path):
    url, root = server
    sha = hashlib.sha256((root / "file.csv").read_bytes()).hexdigest()
    dest = tmp_path / "cache" / "file.csv"
    download(f"{url}/file.csv", dest, sha)
    assert dest.read_bytes() == (root / "file.csv").read_bytes()


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    url, _ = server
    dest = tmp_path / "cache" / "file.csv"
    with pytest.raises(SourceFormatError, match="checksum"):
        download(f"{url}/file.csv", dest, "0" * 64)
    assert list(dest.parent.iterdir()) == []


def test_http_error_is_clear(server, tmp_path):
    url, _ = server
    with pytest.raises(SourceMissingError, match="could not download"):
        download(f"{url}/nope.csv", tmp_path / "x.csv")


def test_unreachable_host_is_clear(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    with pytest.raises(SourceMissingError, match="DYADIC_DATA"):
        download(f"http://127.0.0.1:{port}/f.csv", tmp_path / "f.csv", timeout=2)


def test_locate_downloads_into_cache_once(server, tmp_path):
    url, root = server
    sha = hashlib.sha256((root / "file.csv").read_bytes()).hexdigest()

    class Demo(Source):
        name, title, version, citation, licence, homepage = "demo", "Demo", "1", "c", "l", url
        files = (RemoteFile("file.csv", f"{url}/file.csv", sha),)
        schema = {}

        def read(self, paths, registry):
            return IngestResult({})

    settings = Settings.resolve(store=tmp_path / "s.duckdb", cache=tmp_path / "cache")
    settings = Settings(None, settings.cache_dir, settings.store_path)
    paths = Demo().locate(settings)
    assert paths["file.csv"] == tmp_path / "cache" / "sources" / "demo" / "file.csv"
    (root / "file.csv").unlink()  # a second look finds the cached copy without the network
    assert Demo().locate(settings)["file.csv"].is_file()
