"""A stored wave written back out as an upload file (wide or long; CSV, XLSX or Parquet).

The files follow the upload conventions in ``gapmodel.ingest``, so an exported wave can be
re-ingested unchanged: the basis of the round-trip tests and of moving waves between databases.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import polars as pl

from gapmodel.core.formulas import csv_bytes, excel_bytes
from gapmodel.core.instrument import Instrument
from gapmodel.storage.store import Store

LAYOUTS = ("wide", "long")
FORMATS = ("csv", "xlsx", "parquet")
_MEASURE_SUFFIX = {"expectation": "E", "perception": "P", "adequate": "A", "importance": "I"}


def _respondents(store: Store, label: str) -> pl.DataFrame:
    """respondent, respondent_id and the wave's attributes as columns, with its points."""
    frame = store.respondents([label]).drop("wave")
    allocations = store.allocations([label])
    if allocations.height:
        points = allocations.pivot(
            on="dimension", index="respondent", values="points", sort_columns=True
        )
        points = points.rename({c: f"points.{c}" for c in points.columns if c != "respondent"})
        frame = frame.join(points, on="respondent", how="left")
    return frame


def wave_frame(store: Store, label: str, layout: str = "wide") -> pl.DataFrame:
    """One stored wave as an upload-shaped frame.

    Parameters
    ----------
    store : Store
        The store holding the wave.
    label : str
        The wave's label.
    layout : {"wide", "long"}
        Wide: one row per respondent, columns ``<stage>.<item>.<E|P|A|I>``. Long: one row per
        respondent x stage x item with ``expectation, perception, adequate, importance``.

    Returns
    -------
    pl.DataFrame
        ``respondent_id``, the wave's attributes by their names, ``points.<dimension>`` when
        allocations exist, then the scores. Measures that no respondent answered are left out.

    Raises
    ------
    UnknownWaveError
        If the store has no wave with that label.
    ValueError
        For an unknown layout.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"The layout must be one of {', '.join(LAYOUTS)}. Got {layout!r}.")
    store.require_wave(label)  # raises UnknownWaveError with guidance
    people = _respondents(store, label)
    scores = store.responses([label]).select(
        "respondent", pl.col("stage").cast(pl.String), "item", *_MEASURE_SUFFIX
    )
    measures = [m for m in _MEASURE_SUFFIX if scores[m].null_count() < scores.height]
    if layout == "long":
        out = people.join(scores.select("respondent", "stage", "item", *measures), "respondent")
        return out.drop("respondent")
    long = scores.unpivot(
        index=["respondent", "stage", "item"], on=measures, variable_name="measure"
    ).select(
        "respondent",
        pl.concat_str(
            "stage", "item", pl.col("measure").replace_strict(_MEASURE_SUFFIX), separator="."
        ).alias("column"),
        "value",
    )
    pairs = scores.select("stage", "item").unique(maintain_order=True).iter_rows()
    order = [f"{s}.{i}.{_MEASURE_SUFFIX[m]}" for s, i in pairs for m in measures]
    wide = long.pivot(on="column", index="respondent", values="value").select("respondent", *order)
    return people.join(wide, on="respondent", how="left").drop("respondent")


def write_frame(frame: pl.DataFrame, fmt: str) -> bytes:
    """Serialise a frame as CSV, XLSX or Parquet bytes.

    Text that a spreadsheet would run as a formula is neutralised in CSV and XLSX (see
    :mod:`gapmodel.core.formulas`); Parquet keeps values as they are.
    """
    if fmt not in FORMATS:
        raise ValueError(f"The format must be one of {', '.join(FORMATS)}. Got {fmt!r}.")
    if fmt == "csv":
        return csv_bytes(frame)
    if fmt == "xlsx":
        return excel_bytes(frame, "wave")
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


_EXAMPLE_ATTRIBUTES = {
    "segment": ["Consumer", "Small business"],
    "channel": ["Phone", "Web"],
    "region": ["North", "South"],
}


def template_frame(
    instrument: Instrument,
    scale: tuple[int, int] = (1, 7),
    attributes: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """An upload template: the wide layout for every item and stage, with two example rows.

    Parameters
    ----------
    instrument : Instrument
        The questionnaire whose items and stages make the columns.
    scale : (int, int)
        The example scores stay within this scale.
    attributes : mapping, optional
        Respondent attribute -> values to show as examples (the stored survey's); default:
        segment, channel and region, as the demo has them.

    Returns
    -------
    pl.DataFrame
        ``respondent_id``, the attributes, ``<stage>.<item>.E, <stage>.<item>.P, ...``.
    """
    low, high = scale
    if attributes is None:
        attributes = _EXAMPLE_ATTRIBUTES
    columns: dict[str, list] = {"respondent_id": ["R0001", "R0002"]}
    for name, values in attributes.items():
        columns[name] = [values[0], values[-1]] if values else [None, None]
    for stage, item in instrument.pairs().select("stage", "item").iter_rows():
        columns[f"{stage}.{item}.E"] = [high - 1, high]
        columns[f"{stage}.{item}.P"] = [high - 2, max(low, high - 3)]
    return pl.DataFrame(columns)
