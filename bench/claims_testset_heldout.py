"""The held-out (test) split of the claims test set: statements written after the matcher had been tuned on
the first batch, in other phrasings, on other pairs, years and measures (arms transfers, alliances, MIDs,
regime scores, IGOs, UN voting indices, ideal points, military burden, dependence, capability parts).

Truths are computed by plain SQL on the store (bench/claims_truths.py), never by dyadic.framework.claims
(UN agreement, S and Scott's pi come from dyadic.indicators.unga, the indicator the system publishes). A
statement whose sources disagree by more than the measure's tolerance is left out (no clean truth). Called
by bench/claims_testset_build.py, which writes these rows with split=test.
"""

from __future__ import annotations

import duckdb

from claims_truths import DOTS, Rows, Truths, growth_ok, unga, within

NAME = {"JPN": "Japan", "CHN": "China", "DEU": "Germany", "RUS": "Russia", "BRA": "Brazil", "KOR": "South Korea",
        "VNM": "Vietnam", "TUR": "Turkey", "IND": "India", "KAZ": "Kazakhstan", "USA": "the United States",
        "PRK": "North Korea", "PAK": "Pakistan", "SAU": "Saudi Arabia", "FRA": "France", "GEO": "Georgia",
        "IRN": "Iran", "MNG": "Mongolia", "GBR": "the United Kingdom", "ISR": "Israel"}


def poss(code: str) -> str:
    n = NAME[code]
    return n + "'" if n.endswith("s") else n + "'s"


def rows(con: duckdb.DuckDBPyConnection, store_path: str) -> list[dict]:
    """Held-out statements: about half true, half false, plus statements no measure can settle."""
    t_ = Truths(con)
    r = Rows()
    # 1. directed flows, new pairs, years and phrasings
    phr = [
        lambda e, i, y, v: f"{NAME[e]} shipped goods worth about US$ {v:.1f} billion to {NAME[i]} in {y}.",
        lambda e, i, y, v: f"In {y}, {poss(i)} purchases from {NAME[e]} came to roughly ${v:.1f} bn.",
        lambda e, i, y, v: f"Goods exported by {NAME[e]} to {NAME[i]} totalled some USD {v:.1f} billion in {y}.",
    ]
    for n, (e, i, y) in enumerate([("JPN", "CHN", 2016), ("DEU", "RUS", 2011), ("BRA", "CHN", 2013),
                                   ("KOR", "CHN", 2007), ("CHN", "VNM", 2017), ("TUR", "RUS", 2009),
                                   ("IND", "USA", 2006), ("KAZ", "CHN", 2013), ("DEU", "CHN", 2001)]):
        f = t_.flow(e, i, y)
        if f is None or max(f) / min(f) > 1.2:
            continue
        use_imp = n % 3 == 1
        v, other = (f[1], f[0]) if use_imp else (f[0], f[1])
        rows_ = f"{DOTS}: trade {y} reporter={i if use_imp else e} partner={e if use_imp else i} " \
                f"{'imports_usd' if use_imp else 'exports_usd'}"
        def make(t, v=v / 1e9, other=other / 1e9, e=e, i=i, y=y, n=n):
            s = v if t else v * (1.6 if n % 2 else 0.55)
            return phr[n % 3](e, i, y, s), within(s, v, other)  # the checker accepts either side's report
        r.alt(make, v, rows_, "direction")
    # 2. total bilateral trade (both reporters must agree)
    for e, i, y in [("IND", "RUS", 2013), ("KAZ", "CHN", 2011), ("JPN", "RUS", 2006), ("DEU", "CHN", 2016)]:
        a, b = t_.pair_trade(e, i, y), t_.pair_trade(i, e, y)
        if max(a, b) / min(a, b) > 1.15:
            continue
        m = (a + b) / 2 / 1e9
        r.alt(lambda t, m=m, e=e, i=i, y=y: (
            f"Trade between {NAME[e]} and {NAME[i]} amounted to about US$ {m if t else m * 1.7:.1f} billion in {y}.", t),
            m * 1e9, f"{DOTS}: trade {y} reporter={e},{i} partner={i},{e} exports_usd+imports_usd", "bilateral")
    # 3. military expenditure, level (SIPRI current US$; the checker also shows constant US$)
    for c, y in [("JPN", 2016), ("IND", 2011), ("BRA", 2007), ("KOR", 2021), ("TUR", 2013), ("DEU", 2017)]:
        cur, kon = t_.milex(c, y)
        def make(t, v=cur / 1e9, kon=kon / 1e9, c=c, y=y):
            s = v if t else v * 0.6
            return f"{poss(c)} military budget was roughly US$ {s:.1f} billion in {y}.", within(s, v, kon)
        r.alt(make, cur, f"sipri_milex: milex {y} code={c} current_usd", "level")
    # 4. military burden: expenditure as a share of GDP (SIPRI)
    for c, y in [("IND", 2019), ("KOR", 2009), ("TUR", 2016), ("JPN", 2004)]:
        v = t_.burden(c, y)
        r.alt(lambda t, v=v, c=c, y=y: (f"{NAME[c]} devoted {v if t else v * 2.2:.1f}% of its GDP to defence in {y}.", t),
              v, f"sipri_milex: milex {y} code={c} share_gdp", "level")
    # 5. GDP, level
    for c, y, unit in [("KAZ", 2013, "billion"), ("JPN", 2009, "trillion"), ("TUR", 2006, "billion"),
                       ("DEU", 2021, "trillion")]:
        g = t_.gdp(c, y)
        v = g / (1e9 if unit == "billion" else 1e12)
        r.alt(lambda t, v=v, c=c, y=y, unit=unit: (
            f"In {y} {poss(c)} economy was worth about US$ {v if t else v * 1.5:.{2 if unit == 'trillion' else 0}f} {unit}.", t),
            g, f"wb_gdp: gdp {y} code={c} gdp_usd", "level")
    # 6-7. UN General Assembly: agreement, S and Scott's pi (the published indicator)
    agree = [("IND", "BRA", 2007), ("JPN", "USA", 2011), ("CHN", "PRK", 2013), ("TUR", "RUS", 2016)]
    index = [("RUS", "IND", 2004, "s"), ("USA", "DEU", 2013, "s"), ("CHN", "KAZ", 2009, "pi"), ("GBR", "FRA", 2017, "pi")]
    un = unga(store_path, agree + [p[:3] for p in index])
    for a, b, y in agree:
        u = un[(a, b, y)]
        v = 100 * u["agree"]
        r.alt(lambda t, v=v, a=a, b=b, y=y: (
            f"In {y}, {NAME[a]} and {NAME[b]} cast identical votes on {v if t else (v - 25 if v > 50 else v + 25):.0f}% "
            "of General Assembly roll calls.", t),
            v, f"unga (dyadic.indicators.unga.pair_series): {y} {a}-{b} agree_n/n = {int(u['agree_n'])}/{int(u['n'])}", "unga")
    for a, b, y, ind in index:
        v = float(un[(a, b, y)][ind])
        word = "S score" if ind == "s" else "Scott's pi"
        r.alt(lambda t, v=v, a=a, b=b, y=y, word=word: (
            f"The {word} of UN General Assembly voting between {NAME[a]} and {NAME[b]} was about "
            f"{v if t else (v - 0.4 if v > 0 else v + 0.4):.2f} in {y}.", t),
            v, f"unga (dyadic.indicators.unga.pair_series): {y} {a}-{b} {ind}", "unga")
    # 8. ideal points (Voeten et al., all votes) and the distance between two
    for c, y in [("IRN", 2009), ("DEU", 2017)]:
        v, fp = t_.ideal(c, y)
        def make(t, v=v, fp=fp, c=c, y=y):
            s = v if t else v + (1.2 if v < 0 else -1.2)
            return f"{poss(c)} UN ideal point was about {s:.2f} in {y}.", min(abs(s - v), abs(s - fp)) <= 0.1
        r.alt(make, v, f"unga_ideal_points_voeten: {y} code={c} idealpointall", "ideal")
    for a, b, y in [("USA", "RUS", 2012), ("JPN", "CHN", 2019)]:
        d = abs(t_.ideal(a, y)[0] - t_.ideal(b, y)[0])
        r.alt(lambda t, d=d, a=a, b=b, y=y: (
            f"In {y}, the distance between the UN ideal points of {NAME[a]} and {NAME[b]} was about {d if t else d * 0.5:.2f}.", t),
            d, f"unga_ideal_points_voeten: {y} code={a},{b} idealpointall", "ideal")
    # 9. parts of CINC (COW NMC: iron and steel in thousand tonnes, urban population in thousands)
    for c, y, col in [("CHN", 2007, "irst"), ("IND", 2013, "irst"), ("BRA", 2001, "upop"), ("JPN", 2009, "upop")]:
        v = t_.nmc(col, c, y) / 1000  # millions
        text = {"irst": lambda s, c=c, y=y: f"{NAME[c]} produced about {s:.1f} million tonnes of iron and steel in {y}.",
                "upop": lambda s, c=c, y=y: f"{poss(c)} urban population was about {s:.1f} million in {y}."}[col]
        r.alt(lambda t, v=v, text=text: (text(v if t else v * 1.5), t), v * 1e6,
              f"cow_nmc: capabilities {y} code={c} {col}", "level")
    # 10. military personnel, population (COW NMC)
    for c, y, col in [("KOR", 2006, "milper"), ("TUR", 2011, "milper"), ("JPN", 2013, "tpop"), ("DEU", 2004, "tpop")]:
        v = t_.nmc(col, c, y) * 1000
        text = {"milper": lambda s, c=c, y=y: f"{NAME[c]} had roughly {s / 1000:,.0f},000 troops under arms in {y}.",
                "tpop": lambda s, c=c, y=y: f"{poss(c)} population stood at about {s / 1e6:.0f} million in {y}."}[col]
        r.alt(lambda t, v=v, text=text: (text(v if t else v * 1.6), t), v, f"cow_nmc: capabilities {y} code={c} {col}", "level")
    # 11. arms transfers (SIPRI TIV, millions; both editions must agree)
    for s_, r_, y, n in [("RUS", "IND", 2017, 0), ("USA", "SAU", 2016, 1), ("FRA", "IND", 2019, 2), ("CHN", "PAK", 2013, 0),
                         ("ISR", "IND", 2016, 1), ("USA", "SAU", 2019, 2)]:
        reg = t_.arms(s_, r_, y)
        if reg is None:
            continue
        phrase = [lambda v, s_=s_, r_=r_, y=y: f"{NAME[s_]} delivered arms worth about {v:,.0f} million TIV to {NAME[r_]} in {y}.",
                  lambda v, s_=s_, r_=r_, y=y: f"SIPRI records arms transfers from {NAME[s_]} to {NAME[r_]} of some {v:,.0f} million TIV in {y}.",
                  lambda v, s_=s_, r_=r_, y=y: f"In {y}, {NAME[r_]} received around {v:,.0f} million TIV of weapons from {NAME[s_]}."][n]
        r.alt(lambda t, reg=reg, phrase=phrase: (phrase(reg if t else reg * 1.8), t), reg * 1e6,
              f"sipri_arms_transfers: arms_deliveries {y} supplier={s_} recipient={r_} tiv (= arms_tiv_2022 within 10%)", "arms")
    # 12. alliances: when a bilateral defence pact began (ATOP), how many states a state pledged to defend
    for a, b in [("CHN", "PRK"), ("USA", "KOR"), ("RUS", "KAZ"), ("USA", "JPN")]:
        y = t_.alliance_start(a, b)
        r.alt(lambda t, y=y, a=a, b=b: (f"{NAME[a]} and {NAME[b]} concluded their first bilateral defence pact in {y if t else y + 6}.", t),
              float(y), f"alliances_atop_levels: atop_alliances bilateral defense with members {a},{b} min(begin_year)", "alliance")
    for c, y in [("RUS", 2010), ("USA", 1985), ("CHN", 2016), ("FRA", 2003)]:
        n = t_.defence_partners(c, y)
        r.alt(lambda t, n=n, c=c, y=y: (f"In {y}, {NAME[c]} had defence pledges with {n if t else round(n * 1.5 + 3)} "
                                        f"state{'s' if n != 1 or not t else ''}.", t),
              float(n), f"alliances_atop_cow: alliances atop {y} a={c} defense, count distinct b", "alliance")
    # 13. militarised interstate disputes between two states over a span (GML and COW must agree)
    for a, b, y1, y2 in [("USA", "CHN", 1990, 2010), ("RUS", "GEO", 1992, 2008), ("IND", "PAK", 1995, 2005),
                         ("JPN", "CHN", 1996, 2010)]:
        n = t_.mids(a, b, y1, y2)
        if n is None:
            continue
        r.alt(lambda t, n=n, a=a, b=b, y1=y1, y2=y2: (
            f"{NAME[a]} and {NAME[b]} were involved in {n if t else n + max(4, n // 2)} militarised interstate disputes "
            f"with each other between {y1} and {y2}.", t),
            float(n), f"mids_cow_gml: mid_dyad_years gml,cow {y1}-{y2} a={a} b={b} count distinct dispnum", "mid")
    # 14. regime scores (Polity2; V-Dem electoral democracy)
    for c, y, col in [("TUR", 2013, "polity2"), ("KAZ", 2009, "v2x_polyarchy"), ("BRA", 2016, "v2x_polyarchy"),
                      ("PAK", 2008, "polity2")]:
        v = t_.democracy(col, c, y)
        if col == "polity2":
            r.alt(lambda t, v=v, c=c, y=y: (f"{poss(c)} Polity score was {v if t else v - 6:.0f} in {y}.", t), v,
                  f"democracy_vdem_polity_uds: democracy {y} code={c} polity2", "regime")
        else:
            r.alt(lambda t, v=v, c=c, y=y: (
                f"{poss(c)} V-Dem electoral democracy index stood at {v if t else (v + 0.3 if v < 0.5 else v - 0.3):.2f} in {y}.", t),
                v, f"democracy_vdem_polity_uds: democracy {y} code={c} v2x_polyarchy", "regime")
    # 15. IGO memberships (COW IGO, full members)
    for a, b, y in [("BRA", "IND", 2010), ("JPN", "KOR", 2004)]:
        n = t_.igo_joint(a, b, y)
        lo, hi = sorted([a, b])
        r.alt(lambda t, n=n, a=a, b=b, y=y: (
            f"In {y}, {NAME[a]} and {NAME[b]} were both full members of {n if t else round(n * 1.4)} intergovernmental organisations.", t),
            float(n), f"cow_igo: igo_dyad_years {y} a={lo} b={hi} joint_full", "igo")
    for c, y in [("KAZ", 2006), ("TUR", 2012)]:
        n = t_.igo_state(c, y)
        r.alt(lambda t, n=n, c=c, y=y: (f"{NAME[c]} belonged to {n if t else round(n * 0.6)} IGOs as a full member in {y}.", t),
              float(n), f"cow_igo: igo_state_years {y} code={c} n_full", "igo")
    # 16. dependence: bilateral trade as a share of GDP (the dependent side's own report)
    for w, p, y in [("KAZ", "CHN", 2012), ("VNM", "CHN", 2016), ("MNG", "CHN", 2013), ("DEU", "RUS", 2011)]:
        v = t_.dependence(w, p, y)
        r.alt(lambda t, v=v, w=w, p=p, y=y: (
            f"Trade with {NAME[p]} was equivalent to {v if t else v * 2 + 3:.1f}% of {poss(w)} GDP in {y}.", t),
            v, f"{DOTS}: trade {y} reporter={w} partner={p}; wb_gdp: gdp {y} code={w}", "dependence")
    # 17. a partner's share of a state's total trade (IMF DOTS; COW too where it covers the year)
    for w, p, y in [("RUS", "DEU", 2011), ("JPN", "CHN", 2016), ("BRA", "CHN", 2013), ("KOR", "CHN", 2009)]:
        v = t_.share_of_total(w, p, y)
        if v is None:
            continue
        r.alt(lambda t, v=v, w=w, p=p, y=y: (f"{NAME[p]} accounted for {v if t else v + 6:.1f}% of {poss(w)} total trade in {y}.", t),
              v, f"{DOTS}: trade {y} reporter={w} partner={p}; trade_national {y} code={w}", "share")
    # 18. comparisons without a figure, new phrasings
    for a, b, y, what in [("IND", "RUS", 2019, "milex"), ("BRA", "RUS", 2013, "gdp"), ("KOR", "JPN", 2021, "milex"),
                          ("TUR", "IRN", 2016, "gdp")]:
        if what == "milex":
            (va, ka), (vb, kb) = t_.milex(a, y), t_.milex(b, y)
            if (va > vb) != (ka > kb):
                continue
            r.alt(lambda t, a=a, b=b, y=y, va=va, vb=vb: (
                f"{NAME[a]} outspent {NAME[b]} on defence in {y}." if (va > vb) == t else
                f"{NAME[b]} outspent {NAME[a]} on defence in {y}.", t),
                va / vb, f"sipri_milex: milex {y} code={a},{b} current_usd, constant_usd", "comparison")
        else:
            ga, gb = t_.gdp(a, y), t_.gdp(b, y)
            r.alt(lambda t, a=a, b=b, y=y, ga=ga, gb=gb: (
                f"In {y} the economy of {NAME[a]} was {'bigger' if (ga > gb) == t else 'smaller'} than that of {NAME[b]}.", t),
                ga / gb, f"wb_gdp: gdp {y} code={a},{b} gdp_usd", "comparison")
    # 19. growth: a rate between two years, and a directed flow from one year to another
    for c, y1, y2 in [("IND", 2009, 2016), ("JPN", 2011, 2021)]:
        (a1, k1), (a2, k2) = t_.milex(c, y1), t_.milex(c, y2)
        rate, rk = 100 * (a2 / a1 - 1), 100 * (k2 / k1 - 1)
        def make(t, rate=rate, rk=rk, c=c, y1=y1, y2=y2):
            s = rate if t else rate + 35
            verb = "rose" if s >= 0 else "fell"
            return f"{poss(c)} military spending {verb} by {abs(s):.0f}% between {y1} and {y2}.", growth_ok(s, rate, rk)
        r.alt(make, rate, f"sipri_milex: milex {y1},{y2} code={c} current_usd", "growth")
    for e, i, y1, y2 in [("KOR", "CHN", 2004, 2013), ("JPN", "CHN", 2002, 2017)]:
        f1, f2 = t_.flow(e, i, y1), t_.flow(e, i, y2)
        if not f1 or not f2 or max(f1) / min(f1) > 1.1 or max(f2) / min(f2) > 1.1:
            continue
        v1, v2 = f1[0] / 1e9, f2[0] / 1e9
        r.alt(lambda t, v1=v1, v2=v2, e=e, i=i, y1=y1, y2=y2: (
            f"{poss(e)} exports to {NAME[i]} climbed from US$ {v1:.0f} billion in {y1} to US$ {v2 if t else v2 * 1.5:.0f} billion in {y2}.", t),
            v2 * 1e9, f"{DOTS}: trade {y1},{y2} reporter={e} partner={i} exports_usd", "growth")
    # 20. rank as a trading partner (COW, to 2014)
    for w, p, y in [("BRA", "CHN", 2012), ("KOR", "USA", 2008), ("DEU", "CHN", 2013), ("JPN", "CHN", 2009)]:
        k = t_.rank(w, p, y)
        r.add(f"In {y}, {NAME[p]} was {poss(w)} largest trading partner.", k == 1, float(k),
              f"cow_trade: trade {y} reporter={w}, partners ranked by exports_usd+imports_usd", "rank")
    for s in [
        "In 2016, 52% of South Koreans surveyed held an unfavourable view of Japan.",
        "Analysts put the odds of a clash between Japan and China at 10 per cent by 2030.",
        "Japan, South Korea and China traded goods worth US$ 600 billion in 2013.",
        "Germany's trade with Russia was worth EUR 60 billion in 2012.",
        "Trade between Turkey and Russia was USD 25 billion in 2014 and 2016.",
        "In 2013 and 2015, India's arms imports from Russia ran to 3,000 million TIV.",
        "Brazil, India and South Africa voted alike on 80% of General Assembly roll calls in 2010.",
        "The likelihood that Kazakhstan leaves its alliance with Russia is put at 15 per cent.",
        "In 2012, 3 million Chinese tourists visited South Korea.",
        "A 2018 poll found 40% of Germans trusted Russia.",
        "Some 300,000 Vietnamese migrants lived in Japan in 2019.",
        "India's defence budget for fiscal year 2019/20 was USD 60 billion.",
    ]:
        r.add(s, None, None, "", "not checkable")
    return r.out
