import pandas as pd
import pytest

from dyadic.errors import AmbiguousStateError, RequestError, UnknownStateError


@pytest.fixture(scope="module")
def reg(unga_store):
    return unga_store.registry()


@pytest.mark.parametrize("token,code", [
    ("CHN", "CHN"), ("China", "CHN"), ("710", "CHN"), ("CN", "CHN"), ("Russia", "RUS"), ("USSR", "RUS"),
    ("365", "RUS"), ("United States", "USA"), ("2", "USA"), ("usa", "USA"), ("Czechoslovakia", "CSK"),
    ("315", "CSK"), ("German Democratic Republic", "DDR"), ("Federal Republic of Germany", "DEU"),
    ("Yugoslavia", "YUG"), ("Taiwan", "TWN"), ("North Korea", "PRK"), ("Byelorussian SSR", "BLR"),
    # Full names that also appear inside other states' names keep resolving to their own state.
    ("South Korea", "KOR"), ("Republic of Korea", "KOR"), ("KOR", "KOR"), ("Guinea", "GIN"), ("Sudan", "SDN"),
    ("Democratic Republic of the Congo", "COD"), ("Congo - Brazzaville", "COG"), ("COG", "COG"),
])
def test_resolve(reg, token, code):
    assert reg.resolve(token) == code


def test_unknown_state_suggests_nearest(reg):
    with pytest.raises(UnknownStateError) as exc:
        reg.resolve("Rusia")
    assert "RUS" in str(exc.value) and "Rusia" in str(exc.value)


def test_crosswalk_codes(reg):
    row = reg.states.set_index("code").loc[["CHN", "RUS", "USA"]]
    assert list(row.cow) == [710, 365, 2]
    assert list(row.gw) == [710, 365, 2]
    assert list(row.imf) == [924, 922, 111]


def test_china_seat_by_date(reg):
    names = pd.Series(["CHINA", "CHINA", "USSR"])
    dates = pd.Series(pd.to_datetime(["1970-11-20", "1971-12-01", "1960-01-01"]))
    assert list(reg.map_codes(names, dates)) == ["TWN", "CHN", "RUS"]


def test_unmapped_are_counted(reg):
    raw = pd.Series(["CHINA", "Atlantis", "Atlantis", "Russia"])
    mapped = reg.map_codes(raw, pd.Series(pd.to_datetime(["2000-01-01"] * 4)))
    assert mapped.isna().sum() == 2
    assert reg.unmapped_counts(raw, mapped) == {"Atlantis": 2}


def test_cow_members(reg):
    members = reg.cow_members(2000)
    assert {"CHN", "RUS", "USA"} <= set(members)
    assert "DDR" not in members and "DDR" in reg.cow_members(1980)


@pytest.mark.parametrize("name,codes", [("Korea", {"PRK", "KOR"}), ("Congo", {"COG", "COD"})])
def test_ambiguous_name_lists_every_state_it_fits(reg, name, codes):
    with pytest.raises(AmbiguousStateError) as exc:
        reg.resolve(name)
    assert isinstance(exc.value, UnknownStateError)  # callers catching unknown names catch these too
    for code in codes:
        assert f"{code} ({reg.name(code)})" in str(exc.value)
    assert "use a code" in str(exc.value)


def test_a_region_inside_one_state_name_is_not_that_state(reg):
    with pytest.raises(UnknownStateError) as exc:  # SIPRI's 'Africa' heading must stay unmapped
        reg.resolve("Africa")
    assert not isinstance(exc.value, AmbiguousStateError)


def test_resolve_distinct(reg):
    assert reg.resolve_distinct("China", "Russia", "USA") == ("CHN", "RUS", "USA")
    with pytest.raises(RequestError, match="'CHN' and 'China' are the same state"):
        reg.resolve_distinct("CHN", "Russia", "China")


def test_major_powers_from_the_cow_list(unga_store):
    """COW v2016 major powers, ingested with the state list (cow_majors): spells become code-years."""
    from dyadic.indicators.power import major_powers

    mp = major_powers(unga_store)
    years = mp.groupby("code").year.agg(["min", "max", "count"])
    assert set(years.index) == {"USA", "GBR", "FRA", "DEU", "AUH", "ITA", "RUS", "JPN", "CHN"}
    assert years.loc["USA", "min"] == 1898 and years.loc["CHN", "min"] == 1950 and years["max"].max() == 2016
    # Germany's three spells: not a major power 1919-1924 and 1946-1990
    de = set(mp.year[mp.code == "DEU"])
    assert 1920 not in de and 1960 not in de and {1930, 1995} <= de
    assert not mp.duplicated().any()


def test_add_major_powers_flags_each_side_and_carries_the_2016_status(unga_store):
    """The panel verb behind both the drivers' reference set and the futures' conflict class."""
    from dyadic.indicators.panel import add_major_powers, create_dyadyears

    p = add_major_powers(create_dyadyears(unga_store, 1985, 2020), unga_store)
    d = p.data.set_index(["year", "a", "b"])
    assert d.loc[(2020, "CHN", "USA"), ["major_a", "major_b"]].tolist() == [1.0, 1.0]  # carried past 2016
    assert d.loc[(1985, "DEU", "FRA"), ["major_a", "major_b"]].tolist() == [0.0, 1.0]  # West Germany, 1946-90
    assert d.loc[(1995, "CUB", "USA"), ["major_a", "major_b"]].tolist() == [0.0, 1.0]
    row = p.coverage.set_index("column").loc["major_a"]
    assert row.source == "country_codes" and "carried forward" in row.note and row.last_year == 2020
    late = add_major_powers(create_dyadyears(unga_store, 2015, 2020), unga_store, carry_forward=False).data
    assert late[late.year > 2016].major_a.isna().all() and late[late.year == 2016].major_a.notna().all()
    with pytest.raises(RequestError, match="add_major_powers was added before"):
        add_major_powers(p, unga_store)
