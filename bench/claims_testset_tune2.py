"""A second tune batch of the claims test set, written after the held-out split was scored once: statements
on the measures the held-out split first showed unreachable (military burden, UN voting indices, ideal
points, capability parts, arms transfers, alliances, MIDs, regime scores, IGOs, dependence), on other
pairs, years and phrasings than the held-out rows. The matcher was developed against these (split=tune).
Truths by plain SQL (bench/claims_truths.py); called by bench/claims_testset_build.py.
"""

from __future__ import annotations

import duckdb

from claims_testset_heldout import NAME, poss
from claims_truths import DOTS, Rows, Truths, unga

NAME.update(ARM="Armenia", PHL="the Philippines", TJK="Tajikistan", UKR="Ukraine", GRC="Greece", ARG="Argentina",
            SYR="Syria", AUS="Australia", EGY="Egypt")  # shared with poss()


def rows(con: duckdb.DuckDBPyConnection, store_path: str) -> list[dict]:
    t_ = Truths(con)
    r = Rows()
    for e, i, y in [("FRA", "CHN", 2014), ("VNM", "USA", 2012), ("AUS", "CHN", 2010)]:
        ex, im = t_.flow(e, i, y)
        if max(ex, im) / min(ex, im) > 1.1:
            continue
        r.alt(lambda t, ex=ex, e=e, i=i, y=y: (f"Exports by {NAME[e]} to {NAME[i]} came to about US$ {ex / 1e9 * (1 if t else 1.7):.1f} "
                                               f"billion in {y}.", t), ex, f"{DOTS}: trade {y} reporter={e} partner={i} exports_usd",
              "direction")
    for a, b, y in [("FRA", "IND", 2012), ("KOR", "RUS", 2014)]:
        x, z = t_.pair_trade(a, b, y), t_.pair_trade(b, a, y)
        if max(x, z) / min(x, z) > 1.1:
            continue
        r.alt(lambda t, m=(x + z) / 2e9, a=a, b=b, y=y: (f"Trade between {NAME[a]} and {NAME[b]} reached about US$ {m * (1 if t else 0.5):.1f} "
                                                        f"billion in {y}.", t), (x + z) / 2, f"{DOTS}: trade {y} {a},{b}", "bilateral")
    for c, y, form in [("DEU", 2014, 0), ("PAK", 2010, 1), ("RUS", 2016, 0), ("SAU", 2012, 1)]:
        v = t_.burden(c, y)
        ph = [lambda s, c=c, y=y: f"{poss(c)} military spending amounted to {s:.1f}% of GDP in {y}.",
              lambda s, c=c, y=y: f"In {y}, {NAME[c]} spent {s:.1f} per cent of its GDP on the armed forces."][form]
        r.alt(lambda t, v=v, ph=ph: (ph(v if t else v * 0.45), t), v, f"sipri_milex: milex {y} code={c} share_gdp", "level")
    pairs = [("FRA", "DEU", 2012, "s"), ("IRN", "SYR", 2014, "pi"), ("BRA", "ARG", 2008, "s"), ("IND", "PAK", 2001, "pi"),
             ("EGY", "SAU", 2010, "agree")]
    un = unga(store_path, [p[:3] for p in pairs])
    for a, b, y, ind in pairs:
        v = float(un[(a, b, y)][ind]) * (100 if ind == "agree" else 1)
        if ind == "agree":
            r.alt(lambda t, v=v, a=a, b=b, y=y: (f"{NAME[a]} and {NAME[b]} voted together in {v if t else v - 30:.0f}% of UN votes in {y}.", t),
                  v, f"unga pair_series {y} {a}-{b} agree", "unga")
        else:
            word = {"s": "UN voting similarity (the S score)", "pi": "Scott's pi for UN General Assembly votes"}[ind]
            r.alt(lambda t, v=v, a=a, b=b, y=y, word=word: (f"In {y}, {word} of {NAME[a]} and {NAME[b]} stood at "
                                                            f"{v if t else v - 0.5:.2f}.", t), v, f"unga pair_series {y} {a}-{b} {ind}", "unga")
    for c, y in [("JPN", 2010), ("CHN", 2000)]:
        v = t_.ideal(c, y)[0]
        r.alt(lambda t, v=v, c=c, y=y: (f"In {y}, {poss(c)} ideal point in UN votes was about {v if t else v + 1.0:.2f}.", t), v,
              f"unga_ideal_points_voeten {y} {c} idealpointall", "ideal")
    for a, b, y in [("CHN", "IND", 2014), ("FRA", "RUS", 2005)]:
        d = abs(t_.ideal(a, y)[0] - t_.ideal(b, y)[0])
        r.alt(lambda t, d=d, a=a, b=b, y=y: (f"The ideal-point distance between {NAME[a]} and {NAME[b]} was {d if t else d + 0.8:.2f} in {y}.", t),
              d, f"unga_ideal_points_voeten {y} {a},{b}", "ideal")
    for c, y, col, text in [("IND", 2006, "irst", "{n}'s iron and steel output reached {s:.1f} million tonnes in {y}."),
                            ("RUS", 2012, "upop", "{n2}'s urban population was some {s:.0f} million in {y}."),
                            ("CHN", 2011, "pec", "{n} consumed about {s:,.0f} million tonnes of coal equivalent of energy in {y}."),
                            ("BRA", 2012, "irst", "In {y}, {n} produced {s:.1f} million tonnes of steel.")]:
        v = t_.nmc(col, c, y) / 1000
        r.alt(lambda t, v=v, c=c, y=y, text=text: (text.format(n=NAME[c], n2=NAME[c], s=v if t else v * 1.6, y=y), t), v * 1e6,
              f"cow_nmc capabilities {y} {c} {col}", "level")
    for c, y in [("IND", 2012), ("RUS", 2003)]:
        v = t_.nmc("milper", c, y) * 1000
        r.alt(lambda t, v=v, c=c, y=y: (f"In {y}, {NAME[c]} fielded some {v * (1 if t else 0.5):,.0f} military personnel.", t), v,
              f"cow_nmc capabilities {y} {c} milper", "level")
    for s_, r_, y in [("RUS", "CHN", 2005), ("RUS", "VNM", 2014), ("USA", "KOR", 2012), ("USA", "AUS", 2015), ("DEU", "KOR", 2009)]:
        reg = t_.arms(s_, r_, y)
        if reg is None:
            continue
        r.alt(lambda t, reg=reg, s_=s_, r_=r_, y=y: (f"{poss(s_)} arms exports to {NAME[r_]} were worth {reg * (1 if t else 2.0):,.0f} million TIV in {y}.", t),
              reg * 1e6, f"sipri arms_deliveries {y} {s_}->{r_}", "arms")
    for a, b in [("RUS", "ARM"), ("USA", "PHL"), ("RUS", "TJK")]:
        y = t_.alliance_start(a, b)
        if y is None:
            continue
        r.alt(lambda t, y=y, a=a, b=b: (f"{NAME[a]} signed a bilateral defence treaty with {NAME[b]} in {y if t else y - 4}.", t), float(y),
              f"atop_alliances bilateral defense {a},{b} min(begin_year)", "alliance")
    for c, y in [("GBR", 1995), ("JPN", 2005), ("DEU", 2000)]:
        n = t_.defence_partners(c, y)
        r.alt(lambda t, n=n, c=c, y=y: (f"{NAME[c]} was committed to defend {n if t else n + 12} states in {y}.", t), float(n),
              f"alliances atop {y} a={c} defense count distinct b", "alliance")
    for a, b, y1, y2 in [("RUS", "UKR", 1994, 2010), ("USA", "IRN", 1990, 2010), ("TUR", "GRC", 1990, 2005)]:
        n = t_.mids(a, b, y1, y2)
        if n is None:
            continue
        r.alt(lambda t, n=n, a=a, b=b, y1=y1, y2=y2: (f"From {y1} to {y2}, {NAME[a]} and {NAME[b]} clashed in {n if t else n + 6} "
                                                      "militarized disputes.", t), float(n), f"mid_dyad_years {y1}-{y2} {a},{b}", "mid")
    for c, y, col in [("IND", 2010, "polity2"), ("RUS", 2005, "polity2"), ("TUR", 2018, "v2x_polyarchy"), ("CHN", 2015, "v2x_polyarchy")]:
        v = t_.democracy(col, c, y)
        if col == "polity2":
            r.alt(lambda t, v=v, c=c, y=y: (f"In {y}, {NAME[c]} scored {v if t else v + 5:.0f} on the Polity2 scale.", t), v,
                  f"democracy {y} {c} polity2", "regime")
        else:
            r.alt(lambda t, v=v, c=c, y=y: (f"{poss(c)} polyarchy score (V-Dem) was {v if t else v + 0.35:.2f} in {y}.", t), v,
                  f"democracy {y} {c} v2x_polyarchy", "regime")
    for a, b, y in [("CHN", "RUS", 2012), ("DEU", "FRA", 1995)]:
        n = t_.igo_joint(a, b, y)
        lo, hi = sorted([a, b])
        r.alt(lambda t, n=n, a=a, b=b, y=y: (f"{NAME[a]} and {NAME[b]} shared membership of {n if t else n + 25} IGOs in {y}.", t), float(n),
              f"igo_dyad_years {y} {lo},{hi}", "igo")
    for c, y in [("IND", 2013), ("BRA", 2000)]:
        n = t_.igo_state(c, y)
        r.alt(lambda t, n=n, c=c, y=y: (f"In {y}, {NAME[c]} was a full member of {n if t else n - 30} international organisations.", t),
              float(n), f"igo_state_years {y} {c} n_full", "igo")
    for w, p, y in [("UKR", "RUS", 2010), ("KOR", "CHN", 2014), ("PAK", "CHN", 2015)]:
        v = t_.dependence(w, p, y)
        r.alt(lambda t, v=v, w=w, p=p, y=y: (f"{poss(w)} trade with {NAME[p]} was worth {v if t else v * 2.5 + 2:.1f}% of its GDP in {y}.", t), v,
              f"{DOTS} trade {y} {w}-{p}; wb_gdp {y} {w}", "dependence")
    return r.out
