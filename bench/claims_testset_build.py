"""Builds src/dyadic/data/claims_testset.csv: statements about pairs of states, each with its truth computed
here by plain SQL on the store (independent of dyadic.framework.claims), the value and the deciding rows.

Run: .venv/bin/python bench/claims_testset_build.py STORE.duckdb  (a store with the trade, cow_nmc,
sipri_milex and wb_gdp sources, and for the held-out split also UN votes, ideal points, arms transfers,
alliances, MIDs, democracy and IGO sources; opened read-only).

Splits and batches: the statements built in ``main`` below (``tune1``) and by bench/claims_testset_tune2.py
(``tune2``) are ``tune``: the matcher was developed against them. The ``test`` split is the held-out
batches of bench/claims_testset_heldout.py (``heldout1``, written before the matcher was changed further)
and bench/claims_testset_heldout2.py (``heldout2``, written after, scored once), never used to tune it
(docs/methods/claims.md, "Test set and the held-out split").
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb

OUT = Path(__file__).resolve().parents[1] / "src" / "dyadic" / "data" / "claims_testset.csv"
NAME = {"CHN": "China", "RUS": "Russia", "USA": "the United States", "IND": "India", "BRA": "Brazil"}
POSS = {k: (v[0].upper() + v[1:]) + "'s" for k, v in NAME.items()}
POSS["USA"] = "America's"  # 'of The United States's' would not read as a name
DOTS = "imf_dots_all_reporters_1960_2020"
WORDS = {2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times"}
FRAC = [(1 / 2, "half"), (1 / 3, "a third"), (1 / 4, "a quarter"), (1 / 5, "a fifth"), (1 / 10, "a tenth")]


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    q = lambda sql, *a: con.execute(sql, list(a)).fetchone()  # noqa: E731
    rows: list[dict] = []

    def add(statement: str, truth: str, value: float | None, decided_by: str, form: str) -> None:
        rows.append({"statement": statement, "truth": truth, "value": "" if value is None else f"{value:.6g}",
                     "rows": decided_by, "form": form})

    flows = [("CHN", "RUS"), ("RUS", "CHN"), ("CHN", "USA"), ("USA", "CHN"), ("RUS", "USA"), ("CHN", "IND")]
    for i, (a, b) in enumerate(flows):
        for j, y in enumerate((2003, 2005, 2008, 2010, 2012, 2015, 2018, 2020)):
            exp = q(f"SELECT exports_usd FROM trade WHERE source='{DOTS}' AND reporter=? AND partner=? AND year=?", a, b, y)
            imp = q(f"SELECT imports_usd FROM trade WHERE source='{DOTS}' AND reporter=? AND partner=? AND year=?", b, a, y)
            if not exp or not imp or exp[0] is None or imp[0] is None:
                continue
            e, m = exp[0] / 1e9, imp[0] / 1e9
            cow = q("SELECT exports_usd FROM trade WHERE source='cow_trade' AND reporter=? AND partner=? AND year=?", a, b, y)
            every = [exp[0], imp[0]] + ([cow[0]] if cow and cow[0] else [])
            if max(every) / min(every) > 1.2:
                continue  # the reports disagree by more than the tolerance: no clean truth
            false = (i + j) % 2 == 1  # alternate: half the statements state a figure 40% too high or low
            f = (1.45 if (i + j) % 4 == 1 else 0.6) if false else 1.0
            add(f"In {y}, {POSS[a]} goods exports to {NAME[b]} were about USD {e * f:.1f} billion.",
                "false" if false else "true", exp[0], f"{DOTS}: trade {y} reporter={a} partner={b} exports_usd", "direction")
            add(f"In {y}, {NAME[b]} imported about USD {m * (f if not false else 2 - f + 0.05):.1f} billion of goods from {NAME[a]}.",
                "false" if false else "true", imp[0], f"{DOTS}: trade {y} reporter={b} partner={a} imports_usd", "direction")
            lo, hi = (e * 0.9, e * 1.1) if not false else (e * 1.3, e * 1.5)
            add(f"In {y}, exports from {NAME[a]} to {NAME[b]} were between USD {lo:.0f} and {hi:.0f} billion.",
                "true" if lo <= e <= hi else "false", exp[0], f"{DOTS}: trade {y} reporter={a} partner={b} exports_usd", "range")
    # growth of a directed flow between two years (exporter's figures)
    for i, (a, b) in enumerate(flows[:5]):
        y1, y2 = 2010, 2019
        e1 = q(f"SELECT exports_usd FROM trade WHERE source='{DOTS}' AND reporter=? AND partner=? AND year=?", a, b, y1)[0]
        e2 = q(f"SELECT exports_usd FROM trade WHERE source='{DOTS}' AND reporter=? AND partner=? AND year=?", a, b, y2)[0]
        verb = "rose" if e2 > e1 else "fell"
        add(f"{POSS[a]} exports to {NAME[b]} {verb} from USD {e1 / 1e9:.1f} billion in {y1} to USD {e2 / 1e9:.1f} billion in {y2}.",
            "true", e2, f"{DOTS}: trade {y1},{y2} reporter={a} partner={b} exports_usd", "growth")
        add(f"{POSS[a]} exports to {NAME[b]} {verb} from USD {e1 * 0.5 / 1e9:.1f} billion in {y1} to USD {e2 * 1.6 / 1e9:.1f} billion in {y2}.",
            "false", e2, f"{DOTS}: trade {y1},{y2} reporter={a} partner={b} exports_usd", "growth")
    # shares of a state's total trade (COW: bilateral over national totals)
    for i, (w, p) in enumerate([("CHN", "RUS"), ("RUS", "CHN"), ("USA", "CHN"), ("CHN", "USA"), ("RUS", "USA")]):
        for j, y in enumerate((1995, 2000, 2005, 2010, 2014)):
            bil = q("SELECT exports_usd + imports_usd FROM trade WHERE source='cow_trade' AND reporter=? AND partner=? AND year=?", w, p, y)[0]
            tot = q("SELECT exports_usd + imports_usd FROM trade_national WHERE source='cow_trade' AND code=? AND year=?", w, y)[0]
            s = 100 * bil / tot
            false = (i + j) % 2 == 1
            stated = s + (2.5 if s < 5 else 6) * (1 if (i + j) % 4 == 1 else -0.5 if s < 5 else -1) if false else s
            add(f"In {y}, {POSS[p]} share of {POSS[w]} total trade was {stated:.1f}%.", "false" if false else "true", s,
                f"cow_trade: trade {y} reporter={w} partner={p}; trade_national {y} code={w}", "share")
    # CINC: bounds as ratios in words
    for i, (a, b) in enumerate([("RUS", "CHN"), ("USA", "CHN"), ("IND", "CHN"), ("RUS", "USA"), ("BRA", "USA")]):
        for j, y in enumerate((2000, 2010, 2022)):
            ca = q("SELECT cinc FROM capabilities WHERE code=? AND year=?", a, y)[0]
            cb = q("SELECT cinc FROM capabilities WHERE code=? AND year=?", b, y)[0]
            r = ca / cb
            if r < 1:
                frac, word = min(FRAC, key=lambda t: abs(t[0] - r) if t[0] != r else 9)
                rel = "less than" if (i + j) % 2 == 0 else "more than"
                truth = (r < frac) if rel == "less than" else (r > frac)
                add(f"In {y}, {POSS[a]} CINC score was {rel} {word} of {POSS[b]}.", str(truth).lower(), r,
                    f"cow_nmc: capabilities {y} code={a},{b} cinc", "bound")
            bigger = ca > cb
            stated_up = (i + j) % 2 == 0
            add(f"In {y}, {POSS[a]} CINC score was {'higher' if stated_up else 'lower'} than {POSS[b]}.",
                str(bigger == stated_up).lower(), r, f"cow_nmc: capabilities {y} code={a},{b} cinc", "comparison")
    # SIPRI military expenditure: comparisons and multiples in words
    for i, (a, b) in enumerate([("RUS", "CHN"), ("CHN", "RUS"), ("USA", "CHN"), ("IND", "RUS"), ("USA", "RUS")]):
        for j, y in enumerate((2005, 2015, 2024)):
            va = q("SELECT current_usd FROM milex WHERE code=? AND year=? AND current_usd IS NOT NULL", a, y)
            vb = q("SELECT current_usd FROM milex WHERE code=? AND year=? AND current_usd IS NOT NULL", b, y)
            if not va or not vb:
                continue
            r = va[0] / vb[0]
            ca = q("SELECT constant_usd FROM milex WHERE code=? AND year=?", a, y)[0]
            cb = q("SELECT constant_usd FROM milex WHERE code=? AND year=?", b, y)[0]
            if ca and cb and (ca > cb) != (r > 1):
                continue  # current and constant dollars disagree on which is larger
            add(f"In {y}, {cap(NAME[a])} spent more on its military than {NAME[b]} did.", str(r > 1).lower(), r,
                f"sipri_milex: milex {y} code={a},{b} current_usd", "comparison")
            if r > 1.8:
                k = round(r)
                k = k if (i + j) % 2 == 0 else k + 2
                ca = q("SELECT constant_usd FROM milex WHERE code=? AND year=?", a, y)[0]
                cb = q("SELECT constant_usd FROM milex WHERE code=? AND year=?", b, y)[0]
                ok = any(abs(x / k - 1) <= 0.10 for x in (r, ca / cb if ca and cb else r))
                add(f"In {y}, {POSS[a]} military spending was about {WORDS.get(k, f'{k} times')} {NAME[b]}'s.",
                    str(ok).lower(), r, f"sipri_milex: milex {y} code={a},{b} current_usd, constant_usd", "ratio")
    # GDP comparisons
    for i, (a, b) in enumerate([("CHN", "RUS"), ("RUS", "IND"), ("USA", "CHN"), ("BRA", "RUS")]):
        for j, y in enumerate((2000, 2010, 2020)):
            ga = q("SELECT gdp_usd FROM gdp WHERE code=? AND year=?", a, y)[0]
            gb = q("SELECT gdp_usd FROM gdp WHERE code=? AND year=?", b, y)[0]
            up = (i + j) % 2 == 0
            add(f"In {y}, {POSS[a]} GDP was {'larger' if up else 'smaller'} than {POSS[b]}.", str((ga > gb) == up).lower(),
                ga / gb, f"wb_gdp: gdp {y} code={a},{b} gdp_usd", "comparison")
    nc = [
        "In 2019, 94% of Chinese survey respondents viewed Russia favourably.",
        "The chance of continuity between China and Russia is 94 per cent.",
        "In 2020, 61% of Russians polled said China was a friend.",
        "The probability of a China-Russia alliance by 2030 is 12 per cent.",
        "In 2018, about 2 million Chinese tourists visited Russia.",
        "In 2019, 38% of Americans held a favourable opinion of China.",
        "The odds of a rupture between Russia and China are 5 per cent.",
        "In 2016, 1.2 million Russian citizens travelled to China.",
        "In 2015, 70% of respondents in Russia trusted China.",
        "Approval of the partnership with China stood at 80% in Russia in 2021.",
        "In 2018, trade of China, Russia and the United States grew by 12%.",
        "In 2019, China, Russia and India agreed on 75 per cent of votes.",
        "Exports were worth USD 50 billion in 2018 for China, Russia and the United States.",
        "Between 2010 and 2015, China's trade with Russia was USD 80 billion.",
        "In 2012 and 2016 trade between China and Russia was USD 88 billion.",
        "China's share of Russia's total trade was 15% in 2010 and in 2014.",
        "Trade between Russia and China reached EUR 150 billion in 2019.",
        "Russia's defence budget for fiscal year 2023/24 was USD 80 billion.",
        "The forecast probability of militarised conflict is 32%.",
        "In 2020, 5,000 people attended the China-Russia expo.",
        "In 2017, 56% of Chinese respondents rated Russia positively in a survey.",
        "A 2019 poll found 45% of Russians favourable to China.",
        "The likelihood of a new treaty between China and Russia is 30 per cent.",
        "In 2014, 3,000 Chinese workers were employed in Russia.",
        "In 2019, 60% of Indians viewed Russia favourably, against 30% for China.",
        "Within 5 years (base rate): continuity 56%, degradation 12%.",
        "In 2011, China, Russia, India and Brazil held 20% of votes.",
        "Goods worth USD 30 billion crossed the border in 2015 between China, Russia and Mongolia.",
        "In 2016 and 2018, Russia's share of China's total trade was 2%.",
        "Some 40% of the public in China said Russia was a reliable partner in 2022.",
    ]
    for s in nc:
        add(s, "not_checkable", None, "", "not checkable")
    for r in rows:
        r["split"], r["batch"] = "tune", "tune1"
    from claims_testset_tune2 import rows as tune2

    for r in tune2(con, path):  # written after the held-out split's first score
        r["split"], r["batch"] = "tune", "tune2"
        rows.append(r)
    from claims_testset_heldout import rows as heldout  # bench/ is on sys.path when run as a script

    from claims_testset_heldout2 import rows as heldout2

    for batch, make in (("heldout1", heldout), ("heldout2", heldout2)):
        for r in make(con, path):
            r["split"], r["batch"] = "test", batch
            rows.append(r)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["statement", "truth", "value", "rows", "form", "split", "batch"])
        w.writeheader()
        w.writerows(rows)
    from collections import Counter
    print(OUT, len(rows), Counter(r["truth"] for r in rows), Counter(r["form"] for r in rows))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/full.duckdb")
