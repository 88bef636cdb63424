"""V-Dem (with Polity5 and UDS) as the democracy connector reads it: isard's current ``cw_democracy``.

The connector's table joins V-Dem's polyarchy with Polity5 and extended UDS per COW state-year, as S. V.
Miller's isard package builds it from each V-Dem release (``vdemdata``). V-Dem itself publishes its
country-year dataset as a zip behind a form on v-dem.net, with no API, no checksum and not in COW
state-years, so the updater follows the packaging the connector was written for: the newest commit of
``data/cw_democracy.rda`` in svmiller/isard, asked through the GitHub REST API (list commits for the path,
then the file's contents record at that commit: its git blob SHA-1 and size), downloaded from that commit
and checked against both.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import ClassVar

from dyadic.sources.live import LiveClient, Release, ReleaseFile, UpdateError, iso_date
from dyadic.sources.politics import Democracy

API = "https://api.github.com/repos/svmiller/isard"
RAW = "https://raw.githubusercontent.com/svmiller/isard"
PATH = "data/cw_democracy.rda"
#: GitHub asks API clients to name themselves and to send this media type.
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def git_blob_sha1(data: bytes) -> str:
    """The SHA-1 git gives a file's content (``git hash-object``): what the contents API states."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class IsardDemocracy:
    """The newest isard ``cw_democracy.rda`` (V-Dem polyarchy, Polity5, extended UDS)."""

    source: ClassVar[str] = Democracy.name

    def latest(self, client: LiveClient) -> Release:
        url = f"{API}/commits"
        commits = client.json(url, {"path": PATH, "per_page": 1}, headers=HEADERS)
        try:
            c = commits[0]
            sha, when, message = c["sha"], c["commit"]["committer"]["date"], c["commit"]["message"]
        except (IndexError, KeyError, TypeError) as exc:
            raise UpdateError(f"{url}?path={PATH}: the answer is not GitHub's list of commits ([{{sha, commit: "
                              f"{{committer: {{date}}, message}}}}]): {type(exc).__name__} {exc}. Nothing was "
                              "changed.") from exc
        meta_url = f"{API}/contents/{PATH}"
        meta = client.json(meta_url, {"ref": sha}, headers=HEADERS)
        if not isinstance(meta, dict) or meta.get("type") != "file" or not meta.get("sha"):
            raise UpdateError(f"{meta_url}?ref={sha}: the answer is not GitHub's contents record of a file "
                              "({type: file, sha, size}). Nothing was changed.")
        as_of = iso_date(when)
        title = message.splitlines()[0][:120] if isinstance(message, str) and message else ""
        return Release(
            source=self.source, release=f"isard {sha[:7]}", as_of=as_of, url=f"{url}?path={PATH}",
            files=(ReleaseFile(Democracy.files[0].name, f"{RAW}/{sha}/{PATH}", f"gitblob:{meta['sha']}",
                               int(meta["size"]) if meta.get("size") is not None else None),),
            title=f"Democracy: V-Dem polyarchy, Polity5 polity2, extended UDS (isard cw_democracy {sha[:7]}, "
                  f"{as_of})",
            notes=[f"isard commit {sha} ({when}): {title}"])

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        f = release.files[0]
        path = client.download(f.url, dest / f.name, None, f.size)  # size checked while streaming
        want = (f.checksum or "").removeprefix("gitblob:")
        got = git_blob_sha1(path.read_bytes())
        if got != want:
            path.unlink()
            raise UpdateError(f"{f.url}: git blob SHA-1 {got} does not match GitHub's {want}. Nothing was changed.")
        return {f.name: path}
