"""No bad input gets a traceback (issue 19): each is one line naming the argument or file, exit code 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dyadic.cli import app
from dyadic.framework.claims.document import MAX_BYTES, ClaimsInputError, read_document
from dyadic.framework.shocks import INDICATORS
from dyadic.sources import SOURCES

from conftest import staged_store

runner = CliRunner()


@pytest.fixture(scope="module")
def registry_store(tmp_path_factory):
    """A store holding the country registry only: a check that is missing shows up as a missing-data error
    instead of a run of minutes."""
    st = staged_store(tmp_path_factory, "registry", ["country_codes"])
    yield st
    st.close()


@pytest.fixture(scope="module")
def store_args(registry_store):
    return ["--store", str(registry_store.path)]


def fails(argv: list[str], *named: str, one_line: bool = True) -> str:
    """Run the CLI; assert exit 2, a message naming each of ``named``, no traceback; return the output."""
    r = runner.invoke(app, argv)
    out = r.output
    assert r.exit_code == 2, out
    assert "Traceback" not in out
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    for n in named:
        assert n in out, (n, out)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if one_line:
        assert len(lines) == 1, out
    assert lines[-1].startswith("error: "), out
    return out


# ------------------------------------------------------------------ 1. a damaged SIPRI workbook


def test_damaged_sipri_workbook_names_the_file_and_leaves_the_store_unchanged(source_lab):
    settings, st, data = source_lab("sipri_milex")
    book = data / "sipri_milex" / "SIPRI-Milex-data-1949-2024_2.xlsx"
    raw = bytearray(book.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 256] = bytes(b ^ 0xFF for b in raw[mid:mid + 256])
    book.write_bytes(bytes(raw))
    tables = ["milex", "sources", "states"]
    before = {t: st.checksum(t) for t in tables}
    assert before["milex"][0] > 0
    fails(["ingest", "sipri_milex", "--force", "--data", str(data), "--store", str(settings.store_path)],
                str(book), "re-download", one_line=False)  # the progress bar precedes the error
    assert {t: st.checksum(t) for t in tables} == before


# ------------------------------------------------------------------ 2. option values


@pytest.mark.parametrize("argv,named", [
    (["shock", "CHN", "RUS", "--at", "2022-02-30"], ["--at", "2022-02-30", "YYYY-MM-DD"]),
    (["shock", "CHN", "RUS", "--at", "yesterday"], ["--at", "yesterday", "YYYY-MM-DD"]),
    (["events", "CHN", "RUS", "--from", "2022-13"], ["--from", "2022-13", "YYYY-MM"]),
    (["events", "CHN", "RUS", "--from", "2022-03", "--to", "2021"], ["--from", "--to"]),
    (["futures", "CHN", "RUS", "--horizon", "0"], ["--horizon", "0"]),
    (["futures", "CHN", "RUS", "--paths", "0"], ["--paths", "0"]),
    (["breaks", "CHN", "RUS", "--beta", "-1"], ["--beta", "above 0"]),
    (["unga", "CHN", "RUS", "--from", "99999999999999999999"], ["--from", "99999999999999999999"]),
    (["unga", "CHN", "RUS", "--from", "2010", "--to", "2000"], ["--from", "--to"]),
    (["power", "CHN", "RUS", "--to", "1700"], ["--to", "1700"]),
    (["nature", "CHN", "RUS", "--year", "-5"], ["--year", "-5"]),
])
def test_bad_option_value(store_args, argv, named):
    fails([*argv, *store_args], *named)


def test_horizon_longer_than_the_history_is_refused(store_args):
    fails(["futures", "CHN", "RUS", "--horizon", "5", "--horizon", "1000", *store_args], "--horizon", "1000")


def test_unknown_indicator_lists_the_valid_ones(store_args):
    out = fails(["shock", "CHN", "RUS", "--at", "2022-02-24", "--indicators", "nonsense", *store_args],
                "--indicators", "nonsense")
    assert all(name in out for name in INDICATORS)


@pytest.mark.parametrize("content", ["binary", "folder"])
def test_scenario_file_that_is_not_toml(store_args, tmp_path, content):
    path = tmp_path / "not-toml"  # a stand-in for /bin/ls: bytes that are not UTF-8, or a folder
    if content == "binary":
        path.write_bytes(bytes(range(256)))
    else:
        path.mkdir()
    fails(["futures", "CHN", "RUS", "--scenarios", str(path), *store_args], str(path))


# ------------------------------------------------------------------ 3. the text to check


def test_check_refuses_a_device(store_args):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    fails(["check", "/dev/zero", *store_args], "/dev/zero", "not a regular file")


def test_check_refuses_a_pipe_without_waiting_for_a_writer(store_args, tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    fails(["check", str(fifo), *store_args], str(fifo), "not a regular file")


def test_check_caps_the_size_and_says_so(store_args, tmp_path):
    big = tmp_path / "big.md"
    with big.open("wb") as fh:  # sparse: no disk is written
        fh.truncate(MAX_BYTES + 1)
    fails(["check", str(big), *store_args], str(big), f"{MAX_BYTES // 2**20} MB")


def test_check_reads_at_most_the_cap(tmp_path):
    huge = tmp_path / "huge.md"
    with huge.open("wb") as fh:
        fh.truncate(20 * MAX_BYTES)
    tracemalloc.start()
    try:
        with pytest.raises(ClaimsInputError, match="larger than"):
            read_document(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * MAX_BYTES  # reading the whole file would hold 20 times the cap


def test_check_refuses_text_that_is_not_utf8(store_args, tmp_path):
    latin = tmp_path / "latin.md"
    latin.write_bytes("Trade rose 12% in 2020, said the ministère.".encode("latin-1"))
    fails(["check", str(latin), *store_args], str(latin), "UTF-8")


# ------------------------------------------------------------------ 4. ideal: checks before a long job


@pytest.mark.parametrize("argv,named", [
    (["ideal", "CHN", "--from", "2010", "--to", "2000"], ["--from", "--to"]),
    (["ideal", "CHN", "--from", "1900"], ["--from", "1900"]),
    (["ideal", "CHN", "--format", "xml"], ["--format", "xml"]),
    (["ideal", "CHN", "--n-boot", "-1"], ["--n-boot"]),
])
def test_ideal_checks_its_options_before_opening_the_store(tmp_path, argv, named):
    path = tmp_path / "none.duckdb"
    fails([*argv, "--store", str(path)], *named)
    assert not path.exists()  # nothing was opened, let alone estimated


def test_ideal_checks_its_states_before_estimating(store_args):
    # The registry-only store has no votes: had the check come after starting, the error would be about them.
    fails(["ideal", "CHN", "RUS", "China", *store_args], "CHN", "China", "same state")
    fails(["ideal", "CHN", "Atlantis", *store_args], "Atlantis")


# ------------------------------------------------------------------ 5. ingest of an unknown source


def test_ingest_unknown_source_creates_no_store(tmp_path):
    path = tmp_path / "new.duckdb"
    out = fails(["ingest", "bogus", "--store", str(path)], "bogus")
    assert all(name in out for name in SOURCES)
    assert not path.exists()


# ------------------------------------------------------------------ 6. the same state twice


PAIR_COMMANDS = [
    ["unga"], ["trade"], ["power"], ["events"], ["shock", "--at", "2022-02-24"], ["breaks"], ["drivers"],
    ["nature"], ["futures"], ["brief", "--no-ingest"], ["ideal"],
]


@pytest.mark.parametrize("command", PAIR_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("a,b", [("CHN", "CHN"), ("CHN", "China")])
def test_pair_of_one_state_is_refused(store_args, tmp_path, command, a, b):
    extra = ["--out", str(tmp_path)] if command[0] == "brief" else []
    fails([command[0], a, b, *command[1:], *extra, *store_args], f"'{a}'", f"'{b}'", "CHN")
    assert not list(tmp_path.iterdir())  # no brief was written


@pytest.mark.parametrize("argv,named", [
    (["triangle", "CHN", "RUS", "China"], ["'CHN' and 'China'", "same state"]),
    (["futures", "CHN", "RUS", "--third", "RUS"], ["'RUS'", "given twice"]),
    (["brief", "CHN", "RUS", "--third", "Russia", "--no-ingest"], ["'RUS' and 'Russia'", "same state"]),
])
def test_third_state_must_differ(store_args, argv, named):
    fails([*argv, *store_args], *named)


# ------------------------------------------------------------------ 8. ambiguous names


@pytest.mark.parametrize("name,choices", [("Korea", ["PRK", "KOR", "North Korea", "South Korea"]),
                                          ("Congo", ["COG", "COD"])])
def test_ambiguous_name_lists_the_choices(store_args, name, choices):
    fails(["state", name, *store_args], f"'{name}'", *choices, "use a code")
    fails(["unga", name, "RUS", *store_args], f"'{name}'", *choices)


# ------------------------------------------------------------------ 7. bootstrap workers die with their parent


POOL_CHILD = textwrap.dedent("""
    import multiprocessing, signal, sys, time
    from dyadic.indicators.ideal_points import worker_pool

    signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, whatever started this
    with worker_pool(2) as pool:
        jobs = [pool.submit(time.sleep, 120) for _ in range(2)]
        deadline = time.monotonic() + 20
        while len(multiprocessing.active_children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        for j in jobs:
            j.result()
""")


def alive(pid: int) -> bool:
    """Running (a zombie left for an init that does not reap is not running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_workers_die_with_their_parent(sig):
    parent = subprocess.Popen([sys.executable, "-c", POOL_CHILD], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(w) for w in workers)
        parent.send_signal(sig)
        parent.wait(timeout=10)  # SIGTERM and SIGINT: the parent stops its workers and exits, not waits
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)]
    finally:
        parent.kill()
        parent.wait()
