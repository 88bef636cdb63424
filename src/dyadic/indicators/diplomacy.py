"""Diplomacy by dyad-year: UN Security Council vetoes and Chinese leaders' visits abroad.

Panel verbs in the style of :mod:`dyadic.indicators.panel` (``add_vetoes``, ``add_leader_visits``) and the
tables behind them. The panel's coverage rule holds: inside a source's complete years a dyad-year without a
record is a reported zero; outside them the value is missing. See docs/indicators/diplomacy.md.

Sources: the World Politics Data Lab's UN veto list (``unsc_vetoes``, complete to 15 September 2022), the UN
Digital Library vote scrape (``unga_unsc_votes_undl_scrape``, for the veto rule of :func:`derived_vetoes`),
CEIAS WHO | WHERE | WHEN v1.1 (``leader_visits_ceias_china_1949_2020``, China -> host only).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dyadic.indicators.panel import (Panel, verb, check_free as _check_free, citations as _citations,
                                     cover as _cover, join as _join, versions as _versions)
from dyadic.indicators.politics import side_values
from dyadic.sources.vetoes import COMPLETE_THROUGH
from dyadic.store import Store

VETOES = "unsc_vetoes"
UNDL = "unga_unsc_votes_undl_scrape"
VISITS = "leader_visits_ceias_china_1949_2020"
CHINA = "CHN"
#: Security Council seats with a veto; the China seat is TWN in the scrape before 25 October 1971
PERMANENT = ("CHN", "FRA", "GBR", "RUS", "TWN", "USA")
#: affirmative votes a non-procedural decision needs (Art. 27(3)): 7 of 11 until the enlargement of 1966
MAJORITY_SINCE = ((date(1966, 1, 1), 9), (date(1946, 1, 1), 7))


# ---------------------------------------------------------------------------------------------- vetoes


def veto_years(store: Store) -> tuple[int, int]:
    """First and last *complete* year of the veto list: 1946-2021 (the list stops on 15 September 2022)."""
    store.require(VETOES)
    lo = int(store.con.execute("SELECT min(year) FROM unsc_vetoed_drafts").fetchone()[0])
    # a year the list stops inside is not known in full: its count would be an undercount, not a value
    hi = COMPLETE_THROUGH.year if (COMPLETE_THROUGH.month, COMPLETE_THROUGH.day) == (12, 31) else \
        COMPLETE_THROUGH.year - 1
    return lo, hi


def vetoes(store: Store) -> pd.DataFrame:
    """Every veto in the list: one row per vetoed draft and vetoing member.

    Returns:
        ``veto_id, date, year, draft, meeting_record, topic, code, member``.
    """
    store.require(VETOES, by="vetoes", what="the UN veto list")
    return store.con.execute(
        """SELECT d.veto_id, d.date, d.year, d.draft, d.meeting_record, d.topic, v.code, v.member
           FROM unsc_vetoed_drafts d JOIN unsc_vetoes v USING (veto_id) ORDER BY d.veto_id, v.code""").df()


def veto_state_years(store: Store) -> pd.DataFrame:
    """Drafts each permanent member vetoed, by year: ``year, code, vetoes``."""
    store.require(VETOES)
    return store.con.execute(
        """SELECT d.year, v.code, count(*) AS vetoes FROM unsc_vetoed_drafts d JOIN unsc_vetoes v USING (veto_id)
           GROUP BY ALL ORDER BY ALL""").df()


def joint_veto_dyad_years(store: Store) -> pd.DataFrame:
    """Drafts two members both vetoed, by year, non-directed: ``year, a, b (a < b), unsc_joint_vetoes``."""
    store.require(VETOES)
    df = store.con.execute(
        """SELECT d.year::SMALLINT AS year, x.code AS a, y.code AS b, count(*) AS unsc_joint_vetoes
           FROM unsc_vetoes x JOIN unsc_vetoes y ON x.veto_id = y.veto_id AND x.code < y.code
           JOIN unsc_vetoed_drafts d ON d.veto_id = x.veto_id GROUP BY ALL ORDER BY ALL""").df()
    df["unsc_joint_vetoes"] = df["unsc_joint_vetoes"].astype("int16")
    return df


def sc_no_votes(store: Store) -> pd.DataFrame:
    """Permanent members' "no" votes on Security Council roll calls in the UN Digital Library scrape.

    The scrape holds final votes on *adopted* resolutions only (symbols ``S/RES/...``) and records no outcome,
    so every row here is a "no" that did not block adoption: a procedural vote, where Art. 27(2) gives no
    veto (convening an emergency special session, inviting a party, setting up a subcommittee).

    Returns:
        ``rcid, date, year, symbol, title, code, yes`` (affirmative votes), ``adopted`` (an ``S/RES`` symbol).
    """
    store.require(UNDL, by="sc_no_votes", what="the UN Digital Library vote scrape")
    seats = ", ".join(f"'{c}'" for c in PERMANENT)
    return store.con.execute(
        f"""WITH sc AS (SELECT rcid, date, year, symbol, title FROM roll_calls WHERE source = ? AND body = 'SC'),
                 yes AS (SELECT rcid, count(*) FILTER (WHERE vote = 'yes') AS yes FROM votes
                         WHERE source = ? AND rcid IN (SELECT rcid FROM sc) GROUP BY rcid)
            SELECT sc.rcid, sc.date, sc.year, sc.symbol, sc.title, v.code, yes.yes,
                   starts_with(sc.symbol, 'S/RES/') AS adopted
            FROM sc JOIN votes v ON v.rcid = sc.rcid AND v.source = ? JOIN yes ON yes.rcid = sc.rcid
            WHERE v.vote = 'no' AND v.code IN ({seats}) ORDER BY sc.date, sc.rcid, v.code""", [UNDL] * 3).df()


def _majority(when: pd.Series) -> np.ndarray:
    d = pd.to_datetime(when).dt.date.to_numpy()
    out = np.zeros(len(d), dtype=np.int64)
    for since, n in sorted(MAJORITY_SINCE):
        out[d >= since] = n
    return out


def derived_vetoes(store: Store, after: date | None = COMPLETE_THROUGH) -> pd.DataFrame:
    """Vetoes read off the UN Digital Library scrape: a permanent member voted no on a draft that failed
    although it had the votes to pass (9 yes from 1966, 7 before).

    The scrape holds adopted resolutions only, so no draft in it failed and this returns no rows for any
    period: it cannot extend the veto list past 15 September 2022 (Russia's veto of 30 September 2022 on the
    Ukraine annexation draft, S/2022/720, is not in it). The rule stays here so that a scrape that adds
    failed drafts is read the same way.

    Args:
        after: keep roll calls after this day only (default: the day the veto list is complete to);
            ``None`` for every year.

    Returns:
        The rows of :func:`sc_no_votes` that meet the rule.
    """
    no = sc_no_votes(store)
    rule = ~no["adopted"].to_numpy() & (no["yes"].to_numpy() >= _majority(no["date"]))
    if after is not None:
        rule &= (pd.to_datetime(no["date"]) > pd.Timestamp(after)).to_numpy()
    return no[rule].reset_index(drop=True)


VETO_COLUMNS = ("unsc_vetoes_a", "unsc_vetoes_b", "unsc_joint_vetoes")


@verb("vetoes", needs=(VETOES,), provides=VETO_COLUMNS, what="the UN veto list")
def add_vetoes(panel: Panel, store: Store) -> Panel:
    """Add UN Security Council vetoes, 1946-2021.

    Columns: ``unsc_vetoes_a``, ``unsc_vetoes_b`` (drafts state ``a`` / ``b`` vetoed that year; 0 for every
    state that cast none, members or not) and ``unsc_joint_vetoes`` (drafts both vetoed, symmetric). Missing
    from 2022: the list stops on 15 September 2022 (its 2022 vetoes are in the ``unsc_vetoes`` table) and the
    UN Digital Library scrape cannot show a veto (see :func:`derived_vetoes`). The USSR's vetoes are Russia's
    (COW 365); the China seat's are the PRC's (the list has no veto of the Republic of China). Needs
    ``unsc_vetoes``. Cite: Yordan / World Politics Data Lab (2022); UN Dag Hammarskjöld Library veto list.
    """
    cols = list(VETO_COLUMNS)
    _check_free(panel, cols, "add_vetoes")
    lo, hi = veto_years(store)
    data = _join(panel, joint_veto_dyad_years(store), ["unsc_joint_vetoes"], within=(lo, hi),
                 fill={"unsc_joint_vetoes": 0})
    va, vb = side_values(data, veto_state_years(store), ["vetoes"])["vetoes"]
    year = data["year"].to_numpy()
    inside = (year >= lo) & (year <= hi)
    for col, v in (("unsc_vetoes_a", va), ("unsc_vetoes_b", vb)):
        data[col] = pd.arrays.IntegerArray(np.nan_to_num(v).astype(np.int16), ~inside)
    note = (f"UN veto list: drafts vetoed that year by a, by b, by both; 0 = none in {lo}-{hi}; missing from "
            f"{hi + 1} (the list stops on {COMPLETE_THROUGH:%d %B %Y}; the UN Digital Library scrape holds "
            "adopted resolutions only and cannot show a veto); USSR counted as Russia")
    return _cover(panel, data, cols, VETOES, _versions(store, [VETOES]), _citations(store, [VETOES]), note,
                  "vetoes")


# -------------------------------------------------------------------------------------- leader visits


def leader_visit_years(store: Store) -> tuple[int, int]:
    """First and last year of the CEIAS visits (1949-2020)."""
    store.require(VISITS)
    lo, hi = store.con.execute("SELECT min(year), max(year) FROM chn_leader_visits_abroad").fetchone()
    return int(lo), int(hi)


def chn_leader_visit_dyad_years(store: Store) -> pd.DataFrame:
    """Visits by China's top leaders to each host, by year (China -> host only), non-directed keys.

    Returns:
        ``year, a, b (a < b; one of them CHN), chn_leader_visits_to_partner`` (visits),
        ``chn_leader_visitors_to_partner`` (the leaders, "; "-separated, each once).
    """
    store.require(VISITS)
    df = store.con.execute(
        """SELECT year, least(host, ?) AS a, greatest(host, ?) AS b, count(*) AS chn_leader_visits_to_partner,
                  array_to_string(list_sort(list_distinct(list(leader))), '; ') AS chn_leader_visitors_to_partner
           FROM chn_leader_visits_abroad WHERE host <> ? GROUP BY ALL ORDER BY ALL""", [CHINA] * 3).df()
    df["chn_leader_visits_to_partner"] = df["chn_leader_visits_to_partner"].astype("int16")
    return df


VISIT_COLUMNS = ("chn_leader_visits_to_partner", "chn_leader_visitors_to_partner")


@verb("leader_visits", needs=(VISITS,), provides=VISIT_COLUMNS, what="the CEIAS leader-visit data")
def add_leader_visits(panel: Panel, store: Store) -> Panel:
    """Add visits by China's top leaders to the other state of a dyad with China, CEIAS 1949-2020.

    One direction only: China -> partner. Columns: ``chn_leader_visits_to_partner`` (visits by the PRC's head
    of state, party leader, premier or paramount leader to the other state that year; 0 when none) and
    ``chn_leader_visitors_to_partner`` (who, "; "-separated; empty when none). Both are on every row of a
    dyad with China, in either order (a directed panel's ``(X, CHN)`` row carries China's visits to X too:
    visits to China are not measured), and missing for dyads without China and outside 1949-2020. Needs
    ``leader_visits_ceias_china_1949_2020``. Cite: Turcsányi et al. (2021), CEIAS WHO | WHERE | WHEN v1.1.
    """
    cols = list(VISIT_COLUMNS)
    _check_free(panel, cols, "add_leader_visits")
    lo, hi = leader_visit_years(store)
    data = _join(panel, chn_leader_visit_dyad_years(store), cols, within=(lo, hi),
                 fill={cols[0]: 0, cols[1]: ""})
    # the data list China's leaders' travel only: for a dyad without China nothing is known
    china = ((data["a"] == CHINA) | (data["b"] == CHINA)).to_numpy()
    for c in cols:
        data[c] = data[c].where(china, None)
    note = (f"CEIAS: visits by China's top leaders to the dyad's other state (China -> partner only; visits to "
            f"China are not measured); 0 = none in {lo}-{hi}; missing outside those years and for dyads "
            "without China")
    return _cover(panel, data, cols, VISITS, _versions(store, [VISITS]), _citations(store, [VISITS]), note,
                  "leader_visits")


# This module imports the panel's helpers, so it registers its verbs itself; panel.py imports it at its end.
