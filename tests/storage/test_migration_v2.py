"""A version 2 database (what gapmodel wrote before stages, items and attributes became names)
migrated to version 3: every table of the command line and every page's numbers are the same
before and after.

"Before" is the version 2 file read as version 2 read it (``legacy.read_legacy``: the frozen
joins over its ENUM stages and attribute columns) and computed by the model; "after" is the
migrated file read by today's store.
"""

from __future__ import annotations

import io
import shutil

import polars as pl
import pytest
from legacy import LEGACY_ATTRIBUTES, legacy_waves, read_legacy, write_legacy
from polars.testing import assert_frame_equal

from gapmodel import views
from gapmodel.cli import main
from gapmodel.core.instrument import default_instrument
from gapmodel.core.vocabulary import DEFAULT_DIMENSIONS, DEFAULT_STAGES
from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table
from gapmodel.model.priorities import attach_allocations, fix_first, importance_performance
from gapmodel.model.quality import reliability
from gapmodel.storage.schema import SCHEMA_VERSION
from gapmodel.storage.store import Store
from gapmodel.views.survey import prepare_selections

FILTERS = [
    views.Filters(),
    views.Filters(attributes={"segment": "Small business"}, padjust="bh"),
    views.Filters(stages=("encounter", "post_purchase"), attributes={"Tenure (years)": "3"}),
    views.Filters(compare="", attributes={"channel": "Web", "region": "North"}),
]


@pytest.fixture(scope="module")
def v2_db(tmp_path_factory):
    """Three demo waves in a version 2 file, with two attributes beyond segment, channel and
    region (kept as ``extra`` JSON by version 2)."""
    waves = legacy_waves(400, count=3, seed=11, gold_every=4)
    path = tmp_path_factory.mktemp("v2") / "v2.duckdb"
    write_legacy(path, 2, default_instrument(), waves)
    return path


@pytest.fixture(scope="module")
def before(v2_db):
    """The survey of the version 2 file, computed from its rows as version 2 read them."""
    long, allocations, labels = read_legacy(v2_db)
    data = GapData.from_responses(long.drop("respondent_id"))
    attach_allocations(data, allocations)
    prepare_selections(data)
    items = (
        default_instrument()
        .items.select(item="code", wording="wording", dimension="dimension", element="element")
        .with_columns(label=pl.col("wording"))
    )
    values = {
        a: data.respondents[a].dtype.categories.to_list()
        for a in data.attributes
        if data.respondents[a].drop_nulls().n_unique() > 0
    }
    return views.Survey(
        data,
        labels,
        allocations,
        items,
        values,
        stages=list(DEFAULT_STAGES),
        dimensions=list(DEFAULT_DIMENSIONS),
    )


@pytest.fixture(scope="module")
def after(v2_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("v3") / "migrated.duckdb"
    shutil.copy(v2_db, path)
    with Store.open(path) as store:
        assert store.migrated_from == 2 and store.schema_version == SCHEMA_VERSION
        return path, views.load_survey(store)


def same(got: pl.DataFrame | None, want: pl.DataFrame | None, what: str) -> None:
    """Equal tables, row order aside: keys and counts exactly, statistics to 1e-12."""
    assert (got is None) == (want is None), what
    if got is None:
        return
    assert got.columns == want.columns, what
    keys = [c for c, t in got.schema.items() if not t.is_float()]

    def ordered(frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
        return frame.sort(keys, nulls_last=True)

    try:
        assert_frame_equal(ordered(got), ordered(want), rel_tol=1e-12, abs_tol=1e-12)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from None


def test_the_migrated_survey_names_what_version_2_stored(before, after):
    _, survey = after
    assert survey.waves == before.waves
    assert survey.stages == list(DEFAULT_STAGES)
    assert survey.dimensions == list(DEFAULT_DIMENSIONS)
    assert survey.attributes == list(LEGACY_ATTRIBUTES)
    assert survey.attribute_values == before.attribute_values
    assert survey.attribute_values["Tenure (years)"] == [str(k) for k in range(1, 13)]


@pytest.mark.parametrize("filters", FILTERS, ids=["all", "segment-bh", "stages-tenure", "web"])
def test_every_page_shows_the_same_numbers_after_migration(before, after, filters):
    _, survey = after
    pages = [
        ("overview", views.overview, ()),
        ("journey", views.journey, ()),
        ("trends", views.trends, ()),
        ("priorities", views.priorities, ()),
        *((f"details {g}", views.details, (g,)) for g in views.detail_groupings(survey)),
        *((f"segments by {a}", views.segments, (a,)) for a in survey.attributes),
    ]
    assert views.respondent_count(survey, filters) == views.respondent_count(before, filters)
    for name, page, extra in pages:
        got, want = page(survey, filters, *extra), page(before, filters, *extra)
        for field in got.__dataclass_fields__:
            if isinstance(getattr(got, field), pl.DataFrame | type(None)):
                same(getattr(got, field), getattr(want, field), f"{name}: {field}")


COMMANDS = [
    (["gaps", "--by", "stage,dimension"], lambda d, o: gap_table(d, ["stage", "dimension"], o)),
    (
        ["gaps", "--by", "item,stage,loyalty tier", "--where", "segment=Consumer"],
        lambda d, o: gap_table(d, ["item", "stage", "loyalty tier"], o),
    ),
    (["alpha"], lambda d, o: reliability(d, ["stage", "dimension"])),
    (["ipa"], lambda d, o: importance_performance(d, o)),
    (["ipa", "--fix-first"], lambda d, o: fix_first(d, o)),
    (
        ["trend", "--from", "2026-Q1", "--to", "2026-Q3", "--by", "dimension"],
        lambda d, o: trend(d, "2026-Q1", "2026-Q3", ["dimension"], o),
    ),
    (
        ["segments", "--by", "Tenure (years)"],
        lambda d, o: segment_gaps(d, "Tenure (years)", ["dimension"], o),
    ),
    (
        ["segments", "--by", "region", "--across"],
        lambda d, o: segment_differences(d, "region", ["dimension"], o),
    ),
]


@pytest.mark.parametrize(
    "argv, compute", COMMANDS, ids=lambda c: " ".join(c) if isinstance(c, list) else ""
)
def test_every_command_line_table_is_the_same_after_migration(v2_db, after, argv, compute, capsys):
    path, _ = after
    pooled = [] if argv[0] == "trend" else ["--wave", "all"]  # every wave, as computed below
    assert main([*argv, *pooled, "--db", str(path), "--format", "csv"]) == 0
    got = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema_length=None)
    long, _, _ = read_legacy(v2_db)
    where = [a.split("=", 1) for k, a in zip(argv, argv[1:], strict=False) if k == "--where"]
    for name, value in where:
        long = long.filter(pl.col(name) == value)
    want = compute(GapData.from_responses(long.drop("respondent_id")), TableOptions.from_settings())
    want = want.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    got = got.select(want.columns).cast(want.schema, strict=False)
    same(got, want, " ".join(argv))


def test_extra_names_that_would_clash_are_kept_under_names_of_their_own(tmp_path):
    """Version 2 kept any other column as ``extra``, even one named like gapmodel's own columns
    (``n``, ``respondent``) or twice in other case (``Tier``, ``tier``), with its spaces. Version 3
    keeps each as an attribute of its own name, trimmed, and the survey still loads."""
    label, fielded, wide = legacy_waves(60, count=1)[0]
    wide = wide.with_columns(
        pl.lit(" 7 ").alias("n"),
        pl.lit("x").alias("respondent"),
        pl.lit("  Gold ").alias("Tier"),
        pl.lit("Silver").alias("tier"),
    )
    path = tmp_path / "v2.duckdb"
    write_legacy(path, 2, default_instrument(), [(label, fielded, wide)])
    with Store.open(path) as store:
        assert store.migrated_from == 2
    with Store.open(path, read_only=True) as store:
        survey = views.load_survey(store)
        respondents = store.respondents()
    assert {"n (extra)", "respondent (extra)", "Tier", "tier (2)"} <= set(survey.attributes)
    assert respondents["Tier"].unique().to_list() == ["Gold"]
    assert respondents["n (extra)"].unique().to_list() == ["7"]
    gold = views.overview(survey, views.Filters(attributes={"Tier": "Gold"})).overall
    assert gold["n"][0] == respondents.height
