"""A second held-out batch of the claims test split, written after all matcher work on the tune split and
scored once, with no change to the matcher afterwards (docs/methods/claims.md, "Test set"): other
phrasings, pairs and years again. Truths by plain SQL (bench/claims_truths.py); called by
bench/claims_testset_build.py (split=test).
"""

from __future__ import annotations

import duckdb

from claims_testset_heldout import NAME, poss
from claims_truths import DOTS, Rows, Truths, growth_ok, unga, within

NAME.update(MEX="Mexico", CAN="Canada", POL="Poland", ITA="Italy", IDN="Indonesia", EGY="Egypt", CUB="Cuba",
            VEN="Venezuela", DZA="Algeria", HUN="Hungary", AUS="Australia", PHL="the Philippines", SYR="Syria",
            NLD="the Netherlands", BLR="Belarus")


def rows(con: duckdb.DuckDBPyConnection, store_path: str) -> list[dict]:
    t_ = Truths(con)
    r = Rows(first_true=False)  # start on a false statement: the first batch started on a true one
    add, alt, flow = r.add, r.alt, t_.flow

    phr = [lambda e, i, y, v: f"{NAME[i]} bought US$ {v:.1f} bn worth of goods from {NAME[e]} in {y}.",
           lambda e, i, y, v: f"{poss(e)} sales to {NAME[i]} reached ${v:.1f} billion in {y}.",
           lambda e, i, y, v: f"In {y} {NAME[i]} imported goods worth about USD {v:.1f} bn from {NAME[e]}."]
    for n, (e, i, y) in enumerate([("MEX", "USA", 2005), ("CAN", "USA", 2015), ("POL", "DEU", 2008), ("ITA", "RUS", 2012),
                                   ("NLD", "DEU", 2019), ("AUS", "JPN", 2003)]):
        f = flow(e, i, y)
        if f is None or max(f) / min(f) > 1.2:
            continue
        imp = n % 3 != 1
        v, other = (f[1], f[0]) if imp else (f[0], f[1])
        def make(t, v=v / 1e9, other=other / 1e9, e=e, i=i, y=y, n=n):
            s = v if t else v * (0.5 if n % 2 else 1.6)
            return phr[n % 3](e, i, y, s), within(s, v, other)
        alt(make, v, f"{DOTS}: trade {y} {e}->{i}", "direction")
    for c, y, n in [("SAU", 2014, 0), ("AUS", 2018, 1), ("ISR", 2010, 0), ("POL", 2022, 1)]:
        cur, kon = t_.milex(c, y)
        ph = [lambda s, c=c, y=y: f"{NAME[c]} spent about ${s:.1f} billion on its military in {y}.",
              lambda s, c=c, y=y: f"Defence expenditure in {NAME[c]} came to about US$ {s:.1f} bn in {y}."][n]
        def make(t, v=cur / 1e9, kon=kon / 1e9, ph=ph):
            s = v if t else v * 1.5
            return ph(s), within(s, v, kon)
        alt(make, cur, f"sipri_milex {y} {c} current_usd", "level")
    for c, y, n in [("ISR", 2015, 0), ("POL", 2019, 1), ("DZA", 2012, 0), ("AUS", 2007, 1)]:
        v = t_.burden(c, y)
        ph = [lambda s, c=c, y=y: f"{poss(c)} military burden was {s:.1f}% of GDP in {y}.",
              lambda s, c=c, y=y: f"Defence spending took up {s:.1f} per cent of {poss(c)} GDP in {y}."][n]
        alt(lambda t, v=v, ph=ph: (ph(v if t else v + 1.5), t), v, f"sipri_milex {y} {c} share_gdp", "level")
    for c, y, unit in [("MEX", 2014, "trillion"), ("POL", 2005, "billion"), ("IDN", 2018, "trillion"), ("EGY", 2010, "billion")]:
        g = t_.gdp(c, y)
        v = g / (1e12 if unit == "trillion" else 1e9)
        alt(lambda t, v=v, c=c, y=y, unit=unit: (f"{NAME[c]} had a gross domestic product of about US$ "
                                                 f"{v if t else v * 0.6:.{2 if unit == 'trillion' else 0}f} {unit} in {y}.", t),
            g, f"wb_gdp {y} {c}", "level")
    pairs = [("EGY", "IRN", 2003, "agree"), ("ISR", "USA", 2018, "s"), ("CUB", "VEN", 2012, "pi"), ("MEX", "CAN", 2006, "agree")]
    un = unga(store_path, [p[:3] for p in pairs])
    for a, b, y, ind in pairs:
        v = float(un[(a, b, y)][ind]) * (100 if ind == "agree" else 1)
        if ind == "agree":
            alt(lambda t, v=v, a=a, b=b, y=y: (f"{NAME[a]} and {NAME[b]} voted identically on {v if t else v - 20:.0f} per cent "
                                               f"of UN General Assembly votes in {y}.", t), v, f"unga {y} {a}-{b} agree", "unga")
        else:
            word = {"s": "the S score for", "pi": "Scott's pi between"}[ind]
            alt(lambda t, v=v, a=a, b=b, y=y, word=word: (f"In {y}, {word} {NAME[a]} and {NAME[b]} in UN General Assembly "
                                                          f"voting was {v if t else v + (0.45 if v < 0.5 else -0.45):.2f}.", t),
                v, f"unga {y} {a}-{b} {ind}", "unga")
    for c, y in [("BRA", 2005), ("POL", 2016)]:
        v, fp = t_.ideal(c, y)
        def make(t, v=v, fp=fp, c=c, y=y):
            s = v if t else v - 1.0
            return f"{poss(c)} ideal point stood at {s:.2f} in {y}, on Voeten's UN voting data.", min(abs(s - v), abs(s - fp)) <= 0.1
        alt(make, v, f"ideal_points {y} {c}", "ideal")
    for c, y, col, txt in [("RUS", 2008, "irst", "{poss} steel production was about {s:.1f} million tonnes in {y}."),
                           ("JPN", 2004, "pec", "{name} consumed some {s:,.0f} million tonnes of coal equivalent in energy in {y}."),
                           ("PAK", 2010, "milper", "{name} maintained around {s:,.0f} military personnel in {y}."),
                           ("IDN", 2011, "tpop", "{poss} population was roughly {s:.0f} million in {y}.")]:
        v = t_.nmc(col, c, y) * 1000
        shown = v if col == "milper" else v / 1e6
        alt(lambda t, shown=shown, c=c, y=y, txt=txt: (txt.format(poss=poss(c), name=NAME[c], s=shown if t else shown * 1.7, y=y), t),
            v, f"cow_nmc {y} {c} {col}", "level")
    for s_, r_, y, n in [("FRA", "EGY", 2016, 0), ("DEU", "ISR", 2012, 1), ("RUS", "DZA", 2011, 2), ("USA", "AUS", 2019, 1)]:
        reg = t_.arms(s_, r_, y)
        if reg is None:
            continue
        ph = [lambda v, s_=s_, r_=r_, y=y: f"In {y}, {NAME[s_]} sold arms worth {v:,.0f} million TIV to {NAME[r_]}.",
              lambda v, s_=s_, r_=r_, y=y: f"Arms deliveries from {NAME[s_]} to {NAME[r_]} amounted to {v:,.0f} million TIV in {y}.",
              lambda v, s_=s_, r_=r_, y=y: f"{NAME[r_]} imported {v:,.0f} million TIV of arms from {NAME[s_]} in {y}."][n]
        alt(lambda t, reg=reg, ph=ph: (ph(reg if t else reg * 0.4), t), reg * 1e6, f"sipri {y} {s_}->{r_}", "arms")
    for a, b in [("USA", "PHL"), ("RUS", "BLR"), ("USA", "AUS")]:
        y = t_.alliance_start(a, b)
        if y is None:
            continue
        alt(lambda t, y=y, a=a, b=b: (f"{NAME[a]} and {NAME[b]} first entered a bilateral mutual defence treaty in {y if t else y + 3}.", t),
            float(y), f"atop_alliances bilateral defense {a},{b}", "alliance")
    for c, y in [("TUR", 2008), ("ITA", 1999)]:
        n = t_.defence_partners(c, y)
        alt(lambda t, n=n, c=c, y=y: (f"In {y} {NAME[c]} had defence commitments to {n if t else n + 9} states.", t), float(n),
            f"alliances atop {y} {c} defense", "alliance")
    for a, b, y1, y2 in [("ISR", "SYR", 1995, 2010), ("PRK", "KOR", 1990, 2005), ("CHN", "PHL", 1995, 2010)]:
        n = t_.mids(a, b, y1, y2)
        if n is None:
            continue
        alt(lambda t, n=n, a=a, b=b, y1=y1, y2=y2: (f"Between {y1} and {y2} {NAME[a]} and {NAME[b]} had {n if t else n + 5} MIDs.", t),
            float(n), f"mid_dyad_years {y1}-{y2} {a},{b}", "mid")
    for c, y, col in [("VEN", 2012, "polity2"), ("HUN", 2020, "v2x_polyarchy"), ("MEX", 2001, "polity2"), ("POL", 2010, "v2x_polyarchy")]:
        v = t_.democracy(col, c, y)
        if col == "polity2":
            alt(lambda t, v=v, c=c, y=y: (f"{NAME[c]} had a Polity2 score of {v if t else v + 7:.0f} in {y}.", t), v,
                f"democracy {y} {c} polity2", "regime")
        else:
            alt(lambda t, v=v, c=c, y=y: (f"In {y}, {poss(c)} electoral democracy index (V-Dem) was {v if t else v - 0.3:.2f}.", t), v,
                f"democracy {y} {c} v2x_polyarchy", "regime")
    for c, y in [("MEX", 2008), ("EGY", 2014)]:
        n = t_.igo_state(c, y)
        alt(lambda t, n=n, c=c, y=y: (f"{NAME[c]} held full membership in {n if t else n + 20} IGOs in {y}.", t), float(n),
            f"igo_state_years {y} {c}", "igo")
    for a, b, y in [("FRA", "DEU", 2011), ("MEX", "CAN", 2000)]:
        lo, hi = sorted([a, b])
        n = t_.igo_joint(a, b, y)
        alt(lambda t, n=n, a=a, b=b, y=y: (f"In {y}, {NAME[a]} and {NAME[b]} were joint members of {n if t else n - 20} "
                                           "intergovernmental organisations.", t), float(n), f"igo_dyad_years {y} {lo},{hi}", "igo")
    for w, p, y in [("MNG", "RUS", 2010), ("MEX", "USA", 2015)]:
        v = t_.dependence(w, p, y)
        alt(lambda t, v=v, w=w, p=p, y=y: (f"{poss(w)} trade with {NAME[p]} equalled {v if t else v * 0.5:.1f}% of its GDP in {y}.", t), v,
            f"{DOTS} {y} {w}-{p}; wb_gdp", "dependence")
    for w, p, y in [("POL", "DEU", 2012), ("CAN", "USA", 2018)]:
        v = t_.share_of_total(w, p, y)
        if v is None:
            continue
        alt(lambda t, v=v, w=w, p=p, y=y: (f"In {y}, {poss(p)} share of {poss(w)} total trade was {v if t else v - 8:.1f}%.", t), v,
            f"{DOTS} {y} {w}-{p}; trade_national", "share")
    for a, b, y in [("SAU", "IND", 2015), ("ITA", "CAN", 2016)]:
        (va, ca), (vb, cb_) = t_.milex(a, y), t_.milex(b, y)
        if (va > vb) != (ca > cb_):
            continue
        alt(lambda t, a=a, b=b, y=y, va=va, vb=vb: (f"{NAME[a]} spent {'more' if (va > vb) == t else 'less'} on defence than "
                                                    f"{NAME[b]} in {y}.", t), va / vb, f"sipri_milex {y} {a},{b}", "comparison")
    for c, y1, y2 in [("POL", 2005, 2015), ("SAU", 2008, 2018)]:
        (a1, k1), (a2, k2) = t_.milex(c, y1), t_.milex(c, y2)
        rate, rk = 100 * (a2 / a1 - 1), 100 * (k2 / k1 - 1)
        def make(t, rate=rate, rk=rk, c=c, y1=y1, y2=y2):
            s = rate if t else rate - 40
            verb = "grew" if s >= 0 else "fell"
            return f"{poss(c)} military spending {verb} by {abs(s):.0f} per cent between {y1} and {y2}.", growth_ok(s, rate, rk)
        alt(make, rate, f"sipri_milex {y1},{y2} {c}", "growth")
    for w, p, y in [("MEX", "USA", 2010), ("IDN", "CHN", 2013)]:
        k = t_.rank(w, p, y)
        add(f"In {y} {NAME[p]} was {poss(w)} biggest trading partner.", k == 1, float(k), f"cow_trade {y} {w} ranked", "rank")
    for s in ["In 2019, 63% of Poles told pollsters they saw Russia as a threat.",
              "The probability of a Mexico-United States trade war is put at 20 per cent.",
              "Canada, Mexico and the United States traded USD 1.1 trillion of goods in 2018.",
              "Italy's trade with Russia was worth EUR 20 billion in 2015.",
              "In 2011 and 2013 Israel's military spending was USD 15 billion.",
              "Around 2 million Indonesian workers lived in Saudi Arabia in 2015.",
              "Forecasters give a 40% chance of a new defence pact between Poland and Germany.",
              "Egypt, Iran and Syria voted together 85% of the time in 2008."]:
        add(s, None, None, "", "not checkable")
    return r.out
