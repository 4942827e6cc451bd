"""Human against technical: a paired test across respondents of their two element gaps.

The Gaps Model separates how a customer was treated (the *human* element) from whether the
product or result worked (the *technical* element). Each respondent who answered items of both
elements contributes one difference, their mean human gap minus their mean technical gap, and
the test runs across respondents (the same people rate both, so the test is paired).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, finish_table
from gapmodel.model.stats import STAT_COLUMNS, histogram_stats

HUMAN, TECHNICAL = "human", "technical"
# The statistics of the paired difference (no equivalence test, no shares), after its means.
ELEMENT_COLUMNS = (
    "n",
    "gap_human",
    "gap_technical",
    "diff",
    *(c for c in STAT_COLUMNS[2:] if c != "p_tost" and not c.startswith("people_")),
)


def element_difference(
    data: GapData, by: Sequence[str] = (), options: TableOptions | None = None
) -> pl.DataFrame:
    """Each respondent's human gap minus their technical gap, tested across respondents.

    Parameters
    ----------
    data : GapData
        Prepared responses whose items carry an ``element`` (``human`` / ``technical``).
    by : sequence of str
        ``()`` for one overall row, or ``("stage",)`` for one row per stage.
    options : TableOptions, optional
        Adjustment, alpha and small-group thresholds (the settings by default).

    Returns
    -------
    pl.DataFrame
        ``by`` columns, then ``n`` (respondents with at least one answered pair of each
        element in the group), ``gap_human, gap_technical`` (their mean gaps), ``diff`` (mean
        of human minus technical), ``sd, se, ci_low, ci_high, t, dof, p_val`` (paired t-test),
        ``w, p_wilcoxon`` (Wilcoxon signed-rank, Pratt zeros), ``dz``, then ``p_adj,
        significant, flag, padjust``. Empty when no item has both elements.

    Notes
    -----
    A respondent's element gap is the mean of ``P - E`` over their answered items of the
    element in the group; the t-test equals ``scipy.stats.ttest_rel(human, technical)`` over
    those respondents, the Wilcoxon test ``scipy.stats.wilcoxon(human - technical,
    zero_method="pratt", correction=False, method="asymptotic")``.
    """
    options = options or TableOptions.from_settings()
    keys = list(by)
    if keys not in ([], ["stage"]):
        raise ValueError(f"Compare the elements overall or by stage. Got {keys}.")
    count, sum_g, _, labels = data.respondent_cells_many([(*keys, "element")])[0]
    count = np.broadcast_to(count, sum_g.shape)
    labels = labels.with_columns(pl.col("element").cast(pl.String))
    groups = labels.select(keys).unique(maintain_order=True) if keys else pl.DataFrame([{}])
    rows, people = [], []
    for group in groups.iter_rows(named=True) if keys else [{}]:
        where = labels.with_row_index("_cell")
        for key, value in group.items():
            where = where.filter(pl.col(key).cast(pl.String) == str(value))
        cells = dict(zip(where["element"], where["_cell"], strict=True))
        if HUMAN not in cells or TECHNICAL not in cells:
            continue
        h, t = cells[HUMAN], cells[TECHNICAL]
        both = (count[h] > 0) & (count[t] > 0)
        human = sum_g[h][both] / count[h][both]
        technical = sum_g[t][both] / count[t][both]
        text = {k: None if v is None else str(v) for k, v in group.items()}
        people.append(pl.DataFrame({**text, "value": human - technical}, schema=_schema(keys)))
        rows.append(
            {
                **text,
                "gap_human": float(human.mean()) if human.size else None,
                "gap_technical": float(technical.mean()) if technical.size else None,
            }
        )
    if not rows or not any(p.height for p in people):  # nobody answered both elements
        empty = _schema(keys, *ELEMENT_COLUMNS) | {"n": pl.Int64, "dof": pl.Int64}
        return finish_table(pl.DataFrame(schema=empty), keys, options)
    diffs = pl.concat(people)
    hist = diffs.group_by(*keys, "value").agg(count=pl.len())
    stats = histogram_stats(hist, keys).rename({"gap": "diff"})
    means = pl.DataFrame(rows, schema=_schema(keys, "gap_human", "gap_technical"))
    table = (
        means.join(stats, on=keys, how="inner")
        if keys
        else pl.concat([means, stats], how="horizontal")
    )
    if keys:  # in the survey's stage order
        order = [str(s) for s in groups[keys[0]].to_list()]
        table = table.sort(pl.col(keys[0]).cast(pl.Enum(order)))
    return finish_table(table.select(*keys, *ELEMENT_COLUMNS), keys, options)


def _schema(keys: list[str], *numbers: str) -> dict[str, pl.DataType]:
    """Text keys, then float columns (``value`` when none are named)."""
    return {k: pl.String for k in keys} | {n: pl.Float64 for n in numbers or ("value",)}
