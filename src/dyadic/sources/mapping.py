"""Map the country codes of trade and capability files to state codes, and settle collisions.

COW files use numeric ccodes. The registry's look-up covers every ccode that names a state in the
code list; a few successor codes (COW 260, the German Federal Republic 1955-1990) are the same legal
person as a state the code list already holds (DEU), so the registry's curated ``historic_states.csv``
is consulted as a fallback. When a fallback code and a direct code land on the same state-year (COW has
both 260 and 255 in 1990), the direct code's row wins: it is the state as it stood at the end of that
year (unified Germany), and the drop is reported in the ingest notes.
"""

from __future__ import annotations

import pandas as pd

from dyadic.sources.registry import Registry, packaged_csv


def map_cow(ccodes: pd.Series, registry: Registry) -> tuple[pd.Series, pd.Series]:
    """Map COW numeric codes to state codes.

    Args:
        ccodes: numeric COW codes (float or int; missing allowed).
        registry: the country registry.

    Returns:
        ``(codes, fallback)``: state codes (``<NA>`` where unmapped) and a boolean Series marking codes
        resolved only through the curated historic-states table.
    """
    num = pd.to_numeric(ccodes, errors="coerce").astype("Int64")
    token = num.astype("string")
    code = registry.map_codes(token)
    hist = packaged_csv("historic_states.csv")
    extra = dict(zip(hist.cow.astype(int).astype(str), hist.code))
    need = code.isna() & token.isin(list(extra)).fillna(False)
    code = code.mask(need, token.map(extra))
    return code.astype("string"), need.fillna(False).astype(bool)


def drop_collisions(df: pd.DataFrame, keys: list[str], fallback: pd.Series, what: str) -> tuple[pd.DataFrame, list[str]]:
    """Keep one row per ``keys``, preferring rows mapped directly over fallback-mapped ones.

    Args:
        df: rows with state codes already mapped.
        keys: the columns that must be unique (``year``, ``code`` ...).
        fallback: aligned with ``df``; True where a row's code came from the fallback table.
        what: label for the note.

    Returns:
        The de-duplicated rows and notes describing what was dropped.
    """
    order = pd.Series(fallback.to_numpy(), index=df.index)
    ranked = df.assign(_fb=order).sort_values("_fb", kind="stable")
    dup = ranked.duplicated(keys, keep="first")
    notes = []
    if dup.any():
        gone = ranked[dup]
        sample = ", ".join(" ".join(str(v) for v in r) for r in gone[keys].head(5).itertuples(index=False))
        notes.append(f"{what}: {int(dup.sum())} row(s) of a successor code dropped where the state already "
                     f"had a row under its own code ({sample})")
    return ranked[~dup].drop(columns="_fb").sort_index(), notes


def unmapped_from(raw: pd.Series, code: pd.Series) -> dict[str, int]:
    return Registry.unmapped_counts(raw.astype("string"), code)


def merge_counts(*dicts: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + int(v)
    return out


def map_names(names: pd.Series, registry: Registry) -> pd.Series:
    """Map country names from a statistical (not UN-seat) source to state codes.

    The registry's dated aliases describe who held a UN seat (``China`` was the Republic of China until
    October 1971); statistical publishers such as SIPRI list Taiwan separately, so here a name means the
    state it names today and the dated aliases are not applied.

    Returns:
        A string Series aligned with ``names`` (``<NA>`` where nothing matched).
    """
    from dyadic.errors import UnknownStateError

    names = names.astype("string").str.strip()
    table = {}
    for v in names.dropna().unique():
        try:
            table[v] = registry.resolve(v)
        except UnknownStateError:
            table[v] = None
    return names.map(table).astype("string")
