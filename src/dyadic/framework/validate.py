"""Validation: the framework's answers scored against cases of known truth (issue 16).

A method is done when it is right on cases whose answer is known, not when it runs. The cases are a curated
table (``data/known_cases.csv``, one cited case a row; docs/methods/validation.md); each is scored by calling
the public framework function of its question:

- ``nature``: :func:`dyadic.framework.nature.classify` for the pair and year;
- ``triangle``: :func:`dyadic.framework.triangle.triangle` (signs of the three ties in the year);
- ``shocks``: :func:`dyadic.framework.shocks.event_study` on the case's indicator at its date;
- ``drivers``: :meth:`DriverScores.score_of` of two pairs on one driver in one year (an ordering);
- ``futures``: :func:`dyadic.framework.futures.futures` (P(degradation) + P(conflict), the worsening scenarios, at the case's horizon).

Every case ends in one of four outcomes: ``right``; ``opposite`` (the produced answer is the contrary of the
truth: alliance where rivalry is true, closer where apart is true, the sign-dual triangle); ``wrong`` (any
other miss, e.g. "cannot tell" or "ordinary" where a partnership is true); ``undetermined`` (the inputs are
not ingested or not measured for the case: never counted as right, reported beside the accuracy).
Accuracy is right / (right + wrong + opposite); coverage is the determined share of the cases.

The split (``tune`` / ``test``, :func:`assign_splits`) is fixed by a hash of the case id, stratified by
question (30% test). Thresholds and rules are tuned on ``tune`` only; ``test`` is read to report.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import DyadicError, RequestError
from dyadic.store import Store

QUESTIONS = ("nature", "triangle", "shocks", "drivers", "futures")
SPLITS = ("tune", "test")
OUTCOMES = ("right", "wrong", "opposite", "undetermined")
COLUMNS = ("case_id", "question", "a", "b", "c", "year", "measure", "expected", "split", "citation", "note")
#: share of cases (by hash of the id) in the test split
TEST_SHARE = 0.30
UNDETERMINED = "undetermined"

# Nature: the expected value is a broad class; a produced label is right when the class contains it. The
# classes name today's labels (framework/nature.py); "not-" classes accept any determined label outside the
# named class, so they survive a renaming of the other labels.
NATURE_CLASSES: dict[str, set[str]] = {
    "alliance": {"alliance"},
    "rivalry": {"rivalry"},
    "partnership": {"strategic_partnership", "entente"},
    # a named client is in almost every known case also allied, and alliance comes first in the order
    "client": {"client", "alliance"},
}
#: the produced labels that are the contrary of each expected class
NATURE_OPPOSITE: dict[str, set[str]] = {
    "alliance": {"rivalry"},
    "rivalry": {"alliance", "entente", "strategic_partnership"},
    "partnership": {"rivalry"},
    "client": {"rivalry"},
    "not-rivalry": {"rivalry"},
    "not-alliance": {"alliance"},
}

# Futures: P(degradation) + P(conflict) (the worsening scenarios) at the horizon, binned. Stable allies
# should not be likely to worsen; a pair at war cannot have about no chance of it.
FUTURES_BINS = ((0.05, "low"), (0.25, "moderate"), (float("inf"), "high"))
FUTURES_CLASSES = {"continuity": ({"low", "moderate"}, {"high"}),
                   "degradation-possible": ({"moderate", "high"}, {"low"})}
FUTURES_PATHS = 2000  # Monte Carlo paths per case: the verdict needs a share, not its third decimal

SHOCK_OPPOSITE = {"closer": "apart", "apart": "closer"}
DRIVER_OPPOSITE = {"above": "below", "below": "above"}


def _rank_key(case_id: str) -> str:
    return hashlib.sha256(case_id.encode("utf-8")).hexdigest()


def assign_splits(cases: pd.DataFrame) -> pd.Series:
    """The split of every case: stratified by question, deterministic, independent of the row order.

    Within each question the cases are ordered by the SHA-256 of their id; the case at rank ``r`` (0-based)
    goes to ``test`` when ``floor(TEST_SHARE * (r + 1)) > floor(TEST_SHARE * r)``, so each question has
    ``floor(TEST_SHARE * n)`` test cases spread evenly along a hash order that knows nothing of the cases'
    content. Adding cases to a question can move cases whose rank changes: the table keeps its split column,
    and a change of it is visible in review (tests/test_validate.py checks the column against this function).
    """
    out = pd.Series("tune", index=cases.index, dtype=object)
    for _, g in cases.groupby("question"):
        order = sorted(g.index, key=lambda i: _rank_key(str(g.at[i, "case_id"])))
        for r, i in enumerate(order):
            if int(TEST_SHARE * (r + 1)) > int(TEST_SHARE * r):
                out[i] = "test"
    return out


def load_cases(path: str | Path | None = None) -> pd.DataFrame:
    """The case table (default: the packaged ``data/known_cases.csv``), checked.

    Raises:
        RequestError: a missing column, an unknown question or split, a duplicate id or a row without citation.
    """
    try:
        if path is None:
            with resources.files("dyadic.data").joinpath("known_cases.csv").open("r", encoding="utf-8") as fh:
                df = pd.read_csv(fh, dtype=str, keep_default_na=False)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RequestError(f"cannot read the case table '{path}': {exc}") from exc
    where = path or "data/known_cases.csv"
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise RequestError(f"{where}: missing column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})")
    df = df[list(COLUMNS)].apply(lambda s: s.str.strip())
    bad = df[~df.question.isin(QUESTIONS)]
    if len(bad):
        raise RequestError(f"{where}: case {bad.case_id.iloc[0]}: question '{bad.question.iloc[0]}' is not one of "
                           f"{', '.join(QUESTIONS)}")
    bad = df[~df.split.isin(SPLITS)]
    if len(bad):
        raise RequestError(f"{where}: case {bad.case_id.iloc[0]}: split must be tune or test")
    dup = df.case_id[df.case_id.duplicated()]
    if len(dup):
        raise RequestError(f"{where}: duplicate case id {dup.iloc[0]}")
    bad = df[df.citation == ""]
    if len(bad):
        raise RequestError(f"{where}: case {bad.case_id.iloc[0]} has no citation")
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- scoring


@dataclass
class Score:
    """One case's produced answer, outcome and the evidence behind it."""

    produced: str
    outcome: str
    evidence: str


def _norm(text: str) -> str:
    """Lower case without accents ("ménage à trois" == "menage a trois")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip().lower()


def score_nature(expected: str, label: str) -> str:
    """Outcome of a produced nature label against an expected class (see :data:`NATURE_CLASSES`)."""
    if label == UNDETERMINED:
        return "undetermined"
    if label in NATURE_OPPOSITE.get(expected, set()):
        return "opposite"
    if expected.startswith("not-"):
        return "right" if label not in NATURE_CLASSES.get(expected[4:], {expected[4:]}) else "opposite"
    if expected not in NATURE_CLASSES:
        raise RequestError(f"nature: unknown expected class '{expected}' (known: "
                           f"{', '.join([*NATURE_CLASSES, *[k for k in NATURE_OPPOSITE if k.startswith('not-')]])})")
    return "right" if label in NATURE_CLASSES[expected] else "wrong"


def expected_signs(states: tuple[str, str, str], expected: str) -> dict[str, int]:
    """Tie signs implied by an expected Dittmer configuration.

    ``expected`` is ``ménage à trois``, ``unit veto``, ``romantic triangle|pivot=X`` or
    ``stable marriage|outcast=X``: the pivot is positive with both others (who are hostile), the outcast
    negative with both others (who are partners).
    """
    from dyadic.framework.triangle import dyad_key

    name, _, role = expected.partition("|")
    name = _norm(name)
    pairs = [dyad_key(x, y) for i, x in enumerate(states) for y in states[i + 1:]]
    if name == "menage a trois":
        return dict.fromkeys(pairs, 1)
    if name == "unit veto":
        return dict.fromkeys(pairs, -1)
    kind, _, who = role.partition("=")
    kind, who = kind.strip(), who.strip()
    if (name, kind) not in (("romantic triangle", "pivot"), ("stable marriage", "outcast")) or who not in states:
        raise RequestError(f"triangle: expected '{expected}' must be 'ménage à trois', 'unit veto', "
                           f"'romantic triangle|pivot=X' or 'stable marriage|outcast=X' with X one of {states}")
    with_who = 1 if kind == "pivot" else -1
    return {p: with_who if who in p.split("-") else -with_who for p in pairs}


def produced_signs(states: tuple[str, str, str], name: str, positions: dict[str, str]) -> dict[str, int] | None:
    """Tie signs of a produced configuration and its positions (None when it is not one of Dittmer's four)."""
    n = _norm(name)
    for kind, role in (("romantic triangle", "pivot"), ("stable marriage", "outcast")):
        if n == kind:
            who = next((s for s, p in positions.items() if p == role), None)
            return None if who is None else expected_signs(states, f"{kind}|{role}={who}")
    if n in ("menage a trois", "unit veto"):
        return expected_signs(states, n)
    return None


def score_signs(want: dict[str, int], got: dict[str, int]) -> str:
    """right: every sign as expected; opposite: every sign flipped; undetermined: a tie without sign."""
    if any(got.get(k, 0) == 0 for k in want):
        return "undetermined"
    if all(got[k] == v for k, v in want.items()):
        return "right"
    if all(got[k] == -v for k, v in want.items()):
        return "opposite"
    return "wrong"


def futures_bin(p: float) -> str:
    return next(name for top, name in FUTURES_BINS if p < top)


class _Runner:
    """Scores cases, computing what several cases share (driver scores, triangles, futures history) once."""

    def __init__(self, store: Store, years: tuple[int, int], triads: dict[tuple[str, str, str], tuple[int, int]]):
        self.store = store
        self.years = years
        self.triads = triads  # the years each triad's cases need
        self._ds = None
        self._tri: dict[tuple[str, str, str], object] = {}
        self._hist = None

    def ds(self):
        from dyadic.framework.drivers import compute_drivers

        if self._ds is None:
            self._ds = compute_drivers(self.store, *self.years)
        return self._ds

    def nature(self, r) -> Score:
        from dyadic.framework.nature import classify

        c = classify(self.store, self.ds(), r.a, r.b, int(r.year))
        basis = c.basis + (f" (provisional: {', '.join(c.undetermined_by)} unknown)" if c.provisional else "")
        if c.also:  # other labels whose criteria hold too (scoring reads the label only)
            basis += f"; also holds: {', '.join(c.also)}"
        return Score(c.label, score_nature(r.expected, c.label), basis)

    def triangle(self, r) -> Score:
        from dyadic.framework import triangle as tri

        states = (r.a, r.b, r.c)
        if states not in self._tri:
            lo, hi = self.triads[states]
            self._tri[states] = tri.triangle(self.store, *states, lo, hi)
        t = self._tri[states]
        row = t.years[t.years.year == int(r.year)]
        ties = t.ties_in(int(r.year))
        ev = "ties " + ", ".join(f"{k} {v}" for k, v in ties.items())
        if row.empty:
            return Score(UNDETERMINED, "undetermined", f"no triangle in {r.year}")
        row = row.iloc[0]
        positions = {s: str(row.get(f"position_{s}", "") or "") for s in states}
        got = produced_signs(states, str(row.configuration), positions)
        role = next((f"{p}={s}" for s, p in positions.items() if p in ("pivot", "outcast")), "")
        produced = str(row.configuration) + (f"|{role}" if role else "")
        if got is None:
            why = str(row.get("indeterminate_by", "") or row.get("not_measured", "") or "")
            ev = f"{produced}: {why}; {ev}" if why else ev
            # A tie without an estimate is not measured; ties measured but too weak or too uncertain for a
            # sign are the method's own "cannot tell", a miss.
            values = [float(getattr(v, "value", v)) for v in ties.values()]
            unmeasured = len(values) < 3 or any(np.isnan(v) for v in values)
            return Score(produced, "undetermined" if unmeasured else "wrong", ev)
        return Score(produced, score_signs(expected_signs(states, r.expected), got), ev)

    def shocks(self, r) -> Score:
        from dyadic.framework.shocks import BILATERAL, event_study, shock_verdict

        if r.expected not in SHOCK_OPPOSITE:
            raise RequestError(f"shocks: case {r.case_id}: expected must be closer or apart, not '{r.expected}'")
        if str(r.measure) in ("", "nan", "bilateral"):  # the pair's answer over its bilateral indicators
            df, missing = event_study(self.store, r.a, r.b, r.year, list(BILATERAL), seed=0)
            v, why = shock_verdict(df)
            ev = "; ".join([why] + [f"{x.indicator} {x.effect:+.3g} [{x.lo:+.3g}, {x.hi:+.3g}] {x.verdict}"
                                    for x in df.itertuples() if not pd.isna(x.effect)])
            if v == "undetermined":
                return Score(UNDETERMINED, "undetermined", "; ".join([why, *missing]))
            out = "right" if v == r.expected else "opposite" if v == SHOCK_OPPOSITE[r.expected] else "wrong"
            return Score(v, out, ev)
        df, missing = event_study(self.store, r.a, r.b, r.year, [r.measure], seed=0)
        if df.empty:
            return Score(UNDETERMINED, "undetermined", "; ".join(missing) or "not measured")
        row = df.iloc[0]
        reason = str(row.get("reason", "") or "")
        ev = (f"{row.indicator}: effect {row.effect:+.4f} [{row.lo:+.4f}, {row.hi:+.4f}] "
              f"({row.n_before} before, {row.n_after} after)" + (f"; {reason}" if reason else ""))
        if pd.isna(row.effect):  # the windows are not covered well enough for an estimate: not measured
            return Score(UNDETERMINED, "undetermined", ev)
        v = row.verdict
        out = "right" if v == r.expected else "opposite" if v == SHOCK_OPPOSITE[r.expected] else "wrong"
        return Score(v, out, ev)

    def drivers(self, r) -> Score:
        from dyadic.framework.drivers import DRIVERS

        if r.measure not in DRIVERS:
            raise RequestError(f"drivers: case {r.case_id}: measure '{r.measure}' is not one of {', '.join(DRIVERS)}")
        if r.expected not in DRIVER_OPPOSITE:
            raise RequestError(f"drivers: case {r.case_id}: expected must be above or below, not '{r.expected}'")
        x, _, y = r.c.partition("-")
        year = int(r.year)
        s1 = self.ds().score_of(r.a, r.b, year, r.measure)
        s2 = self.ds().score_of(x, y, year, r.measure)
        ev = f"{r.measure} {year}: {r.a}-{r.b} {s1:.1f} vs {r.c} {s2:.1f}"
        if np.isnan(s1) or np.isnan(s2):
            return Score(UNDETERMINED, "undetermined", ev.replace("nan", "not measured"))
        got = "above" if s1 > s2 else "below" if s1 < s2 else "tie"
        out = "right" if got == r.expected else "opposite" if got == DRIVER_OPPOSITE[r.expected] else "wrong"
        return Score(got, out, ev)

    def futures(self, r) -> Score:
        from dyadic.framework.futures import futures, history, load_scenarios

        if r.expected not in FUTURES_CLASSES:
            raise RequestError(f"futures: case {r.case_id}: expected must be one of {', '.join(FUTURES_CLASSES)}")
        hz = int(r.measure.removeprefix("h="))
        if self._hist is None:
            self._hist = history(self.store, load_scenarios()["reference"]["rising_years"])
        res = futures(self.store, r.a, r.b, horizons=(hz,), n_paths=FUTURES_PATHS, n_boot=200, seed=0,
                      hist=self._hist)
        p = res.probabilities.set_index("scenario").p
        # The scenarios are exclusive with conflict first (scenarios.toml), so a pair at war has its worsening
        # paths in conflict, not degradation: a case of "degradation possible" is judged on the two together.
        worse = float(p["degradation"]) + float(p.get("conflict", 0.0))
        got = futures_bin(worse)
        ok, opp = FUTURES_CLASSES[r.expected]
        out = "right" if got in ok else "opposite" if got in opp else "wrong"
        ev = (f"{hz}y as of {res.state['pct'][1]}: P(continuity) {p['continuity']:.3f}, "
              f"P(alliance) {p['alliance']:.3f}, P(degradation) {p['degradation']:.3f}, "
              f"P(conflict) {p.get('conflict', float('nan')):.3f}; worsening {worse:.3f}")
        return Score(got, out, ev)

    def score(self, r) -> Score:
        try:
            return getattr(self, r.question)(r)
        except RequestError:
            raise  # a malformed case is the table's error, not an unknown
        except DyadicError as exc:  # the inputs are not ingested or do not cover the case
            return Score(UNDETERMINED, "undetermined", str(exc).splitlines()[0])


# ---------------------------------------------------------------------------------------------- results


@dataclass
class ValidationResult:
    """Scored cases, with per-question accuracy, confusion tables and the misses (statsmodels-style).

    ``cases``: one row per case: the table's columns plus ``produced``, ``outcome``, ``evidence``.
    """

    cases: pd.DataFrame
    split: str = "all"
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """Per question: ``n``, each outcome's count, ``accuracy`` (right / determined) and ``coverage``."""
        rows = []
        for q in QUESTIONS:
            d = self.cases[self.cases.question == q]
            if d.empty:
                continue
            n = {o: int((d.outcome == o).sum()) for o in OUTCOMES}
            det = n["right"] + n["wrong"] + n["opposite"]
            rows.append({"question": q, "n": len(d), **n, "accuracy": n["right"] / det if det else np.nan,
                         "coverage": det / len(d)})
        return pd.DataFrame(rows, columns=["question", "n", *OUTCOMES, "accuracy", "coverage"])

    @property
    def accuracy(self) -> dict[str, float]:
        return dict(zip(self.table.question, self.table.accuracy))

    @property
    def misses(self) -> pd.DataFrame:
        """Wrong and opposite cases, with what was expected, what was produced and the evidence."""
        m = self.cases[self.cases.outcome.isin(["wrong", "opposite"])]
        return m[["case_id", "question", "a", "b", "c", "year", "measure", "expected", "produced", "outcome",
                  "evidence", "note"]].reset_index(drop=True)

    @property
    def undetermined(self) -> pd.DataFrame:
        u = self.cases[self.cases.outcome == "undetermined"]
        return u[["case_id", "question", "a", "b", "c", "year", "expected", "evidence"]].reset_index(drop=True)

    def confusion(self, question: str) -> pd.DataFrame:
        """Expected (rows) by produced (columns) counts for one question."""
        d = self.cases[self.cases.question == question]
        produced = d.produced.str.partition("|")[0]  # the configuration, without its pivot/outcast
        return pd.crosstab(d.expected, produced).rename_axis(index="expected", columns="produced")

    def summary(self) -> str:
        """The results as text: accuracy per question, confusion tables, misses with evidence, undetermined."""
        lines = [f"Validation on known cases (split: {self.split}, {len(self.cases)} cases)", ""]
        t = self.table.copy()
        t["accuracy"] = t.accuracy.map(lambda v: "n/a" if pd.isna(v) else f"{v:.3f}")
        t["coverage"] = t.coverage.map(lambda v: f"{v:.3f}")
        lines += [t.to_string(index=False), ""]
        for q in t.question:
            lines += [f"Confusion: {q}", self.confusion(q).to_string(), ""]
        m = self.misses
        lines.append(f"Misses ({len(m)}):")
        for r in m.itertuples():
            who = "-".join(x for x in (r.a, r.b, r.c) if x)
            lines.append(f"  [{r.outcome}] {r.case_id} {who} {r.year}: expected {r.expected}, got {r.produced}"
                         f" | {r.evidence}")
        u = self.undetermined
        lines.append(f"Undetermined ({len(u)}):")
        for r in u.itertuples():
            lines.append(f"  {r.case_id}: {r.evidence}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def validate(store: Store, question: str | None = None, cases: pd.DataFrame | str | Path | None = None,
             split: str | None = None) -> ValidationResult:
    """Score the known cases with the framework's public functions.

    Args:
        store: an open store (the more sources it holds, the fewer cases are undetermined).
        question: one of :data:`QUESTIONS` (default: all).
        cases: a case table (frame or CSV path; default: the packaged one).
        split: ``tune``, ``test`` or ``all``/None.

    Returns:
        :class:`ValidationResult`.
    """
    if question is not None and question not in QUESTIONS:
        raise RequestError(f"question must be one of {', '.join(QUESTIONS)}, not '{question}'")
    if split not in (None, "all", *SPLITS):
        raise RequestError(f"split must be tune, test or all, not '{split}'")
    df = cases.copy() if isinstance(cases, pd.DataFrame) else load_cases(cases)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = ""
    df = df.fillna("")
    if question is not None:
        df = df[df.question == question]
    if split in SPLITS:
        df = df[df.split == split]
    df = df.reset_index(drop=True)
    # Driver scores for every year a case needs, from the first UN votes on (percentiles are within a year,
    # so the span changes no score).
    years = [int(str(y)[:4]) for y in df.year if str(y)[:4].isdigit()]
    triads: dict[tuple[str, str, str], tuple[int, int]] = {}
    for r in df[df.question == "triangle"].itertuples():
        k, y = (r.a, r.b, r.c), int(r.year)
        lo, hi = triads.get(k, (y, y))
        triads[k] = (min(lo, y), max(hi, y))
    runner = _Runner(store, (max(min(years, default=1992), 1946), max(max(years, default=2024), 1992)), triads)
    scores = [runner.score(r) for r in df.itertuples(index=False)]
    out = df.assign(produced=[s.produced for s in scores], outcome=[s.outcome for s in scores],
                    evidence=[s.evidence for s in scores])
    notes = list(runner.ds().missing) if runner._ds is not None else []
    return ValidationResult(out, split or "all", [f"not measured: {n}" for n in notes])
