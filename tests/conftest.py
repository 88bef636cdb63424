"""Shared fixtures. Tests read the real public datasets from $DYADIC_DATA (CI points it at the staged
copies); without it, dyadic's own download path is used, and a test whose data cannot be had fails
naming the dataset."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dyadic.config import Settings
from dyadic.store import Store, ingest

UNGA_SOURCES = ["country_codes", "unvotes_voeten_2019", "unga_unsc_votes_undl_scrape"]


#: the sources the packaged validation cases read, beside those the brief reads (the session brief store
#: holds both, so the validation guard reads its prepared products too)
CASE_SOURCES = ["country_codes", "unvotes_voeten_2019", "unga_unsc_votes_undl_scrape", "alliances_atop_cow",
                "alliances_atop_levels", "treaties_after_sources", "strategic_rivalries_td", "mids_cow_gml",
                "gdelt_daily_country_graph", "cow_nmc", "wb_gdp", "sipri_milex", "cow_trade", "mme_military_exercises",
                "cow_contiguity_distance", "unsc_vetoes", "cow_igo", "unga_ideal_points_voeten",
                "democracy_vdem_polity_uds", "sipri_arms_transfers", "icews_dyadic_netify_2002_2014",
                "imf_dots_all_reporters_1960_2020"]
def pytest_configure(config) -> None:
    """The brief's disk cache goes to a folder of this run, never to the user's home cache."""
    if "DYADIC_BRIEF_CACHE" not in os.environ:
        import tempfile

        os.environ["DYADIC_BRIEF_CACHE"] = tempfile.mkdtemp(prefix="dyadic-brief-cache-")


def data_settings(tmp: Path) -> Settings:
    return Settings.resolve(data=os.environ.get("DYADIC_DATA"), store=tmp / "test.duckdb",
                            cache=os.environ.get("DYADIC_CACHE") or tmp / "cache")


def source_dir(name: str) -> Path:
    """The folder of a staged dataset; fails (not skips) with what to do when it is absent."""
    root = os.environ.get("DYADIC_DATA")
    if not root or not (Path(root) / name).is_dir():
        pytest.fail(f"dataset '{name}' is needed: set DYADIC_DATA to a folder holding {name}/ "
                    "(CI sets it to ../shared/data)")
    return Path(root) / name


class _Template:
    """One store per test run into which each staged source is ingested once, by the real ingest path, the
    first time a test asks for it. A test's store is a new file holding copies of exactly the sources it names
    (:meth:`Store.copy_sources`), so tests stay independent of each other and of their order, and the suite
    does not parse the same files a dozen times."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.summaries: dict = {}

    def ensure(self, tmp_path_factory, names: list[str]) -> Path:
        if self.settings is None:
            self.settings = data_settings(tmp_path_factory.mktemp("template"))
        todo = [n for n in names if n not in self.summaries]
        if todo:
            st = Store.open(self.settings.store_path)
            try:
                self.summaries.update({s.source: s for s in ingest(st, self.settings, todo)})
            finally:
                st.close()
        return self.settings.store_path


TEMPLATE = _Template()


def staged_store(tmp_path_factory, label: str, sources: list[str]) -> Store:
    """A new store holding the named staged sources (fails naming any that is missing); ``summaries`` holds
    each source's ingest summary. The caller closes it."""
    from dyadic.sources import SOURCES, Source
    from dyadic.store import ingest_order

    for name in sources:
        if SOURCES[name].locate is Source.locate:  # curated tables ship with the package: nothing staged
            source_dir(name)
    names = ingest_order(sources)
    if any(SOURCES[n].needs_registry for n in names) and "country_codes" not in names:
        names = ["country_codes", *names]  # as ingest() adds it
    template = TEMPLATE.ensure(tmp_path_factory, names)
    settings = data_settings(tmp_path_factory.mktemp(label))
    st = Store.open(settings.store_path)
    st.copy_sources(template, names)
    st.summaries = {n: TEMPLATE.summaries[n] for n in names}
    return st


@pytest.fixture(scope="session")
def brief_store(tmp_path_factory) -> Path:
    """The path of a store holding every source the brief and the validation cases read, with its shared products prepared
    (``dyadic prepare``, into this run's brief cache). Read only: the briefs open it with ``--no-ingest``
    and nothing writes to it, so the modules that read it share it in any order."""
    from dyadic.report.brief import NEEDS
    from dyadic.report.prepare import prepare

    st = staged_store(tmp_path_factory, "brief", sorted(set(NEEDS) | set(CASE_SOURCES)))
    prepare(st)
    st.con.execute("CHECKPOINT")
    path = st.path
    st.close()
    return path


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return data_settings(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="session")
def unga_store(settings) -> Store:
    """A store with the country registry and both UN vote sources ingested (once per test run). Nothing
    else is ingested into it: a test that needs more sources builds its own (:func:`staged_store`)."""
    st = Store.open(settings.store_path)
    ingest(st, settings, UNGA_SOURCES)
    yield st
    st.close()


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cut a file to the first ``keep`` share of its bytes (a download that stopped half-way)."""
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])


@pytest.fixture()
def source_lab(tmp_path):
    """Factory: writable private copies of a staged source (and the registry) and a store already holding it.

    ``make(source)`` returns ``(settings, store, data_dir)``; tests corrupt the copies and re-ingest.
    """
    opened = []

    def make(source: str):
        data = tmp_path / "data"
        for name in ["country_codes", source]:
            if not (data / name).exists():
                shutil.copytree(source_dir(name), data / name)
                for f in (data / name).iterdir():
                    f.chmod(0o644)
        settings = Settings.resolve(data=data, store=tmp_path / "s.duckdb", cache=tmp_path / "cache")
        st = Store.open(settings.store_path)
        opened.append(st)
        ingest(st, settings, [source])
        return settings, st, data

    yield make
    for st in opened:
        st.close()
