"""Static charts for reports: Altair specifications rendered offline to inline SVG by vl-convert."""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert as vlc

#: chart size in CSS pixels: two charts side by side fill the printed page's width.
WIDTH, HEIGHT = 380, 150


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string without any network access."""
    return vlc.vegalite_to_svg(chart.to_dict())


def yearly_lines(df: pd.DataFrame, y: str, color: str, title: str, y_title: str,
                 marks: list[tuple[int, str]] = (), domain: tuple[float, float] | None = None) -> alt.LayerChart:
    """Lines of ``y`` by year, one per ``color`` group, with labelled vertical rules at ``marks``.

    Args:
        df: long frame with ``year``, ``y`` and ``color`` columns.
        marks: (year, label) pairs drawn as dashed rules (e.g. a change of source).
    """
    scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=False)
    base = alt.Chart(df).encode(
        x=alt.X("year:Q", title=None, axis=alt.Axis(format="d")),
        y=alt.Y(f"{y}:Q", title=y_title, scale=scale),
        color=alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="bottom")),
    )
    layers = [base.mark_line(point=alt.OverlayMarkDef(size=12))]
    if marks:
        m = pd.DataFrame(marks, columns=["year", "label"])
        rule = alt.Chart(m).mark_rule(strokeDash=[4, 3], color="#888").encode(x="year:Q")
        text = alt.Chart(m).mark_text(align="left", dx=3, dy=-4, color="#555", fontSize=10).encode(
            x="year:Q", y=alt.value(8), text="label:N")
        layers += [rule, text]
    return alt.layer(*layers).properties(title=title, width=WIDTH, height=HEIGHT)
