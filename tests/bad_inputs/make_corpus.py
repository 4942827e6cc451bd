"""Write the bad-input corpus: malformed survey files, each with the rule it must trigger.

Run ``python tests/bad_inputs/make_corpus.py`` to regenerate the files next to this script.
``REFUSED`` files must be refused with the named rule; ``ACCEPTED`` files are awkward but
readable exports that must go in, with the named note in the report.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
ITEMS = ("courtesy", "kept_informed", "first_contact_resolution")
STAGES = ("pre_purchase", "encounter", "post_purchase")

# file name -> the rule the report must name; the file must be refused, nothing written.
REFUSED: dict[str, str] = {
    "empty.csv": "empty_file",
    "whitespace_only.csv": "empty_file",
    "header_only.csv": "no_data_rows",
    "header_only.xlsx": "no_data_rows",
    "missing_expectation_columns.csv": "missing_column",
    "missing_perception_columns.csv": "missing_column",
    "long_missing_perception.csv": "missing_column",
    "long_missing_respondent_id.csv": "missing_column",
    "no_score_columns.csv": "no_score_columns",
    "unknown_stage_wide.csv": "unknown_stage",
    "unknown_stage_long.csv": "unknown_stage",
    "unknown_item_wide.csv": "unknown_item",
    "unknown_item_long.csv": "unknown_item",
    "text_in_score.csv": "non_numeric",
    "above_scale.csv": "out_of_scale",
    "below_scale_zero.csv": "out_of_scale",
    "negative_score.csv": "out_of_scale",
    "huge_number.csv": "out_of_scale",
    "half_point_score.csv": "not_whole_number",
    "decimal_comma_half_point.csv": "not_whole_number",
    "duplicate_respondent_wide.csv": "duplicate_respondent_id",
    "duplicate_rows_long.csv": "duplicate_row",
    "missing_respondent_id_values.csv": "missing_respondent_id",
    "duplicate_column.csv": "duplicate_column",
    "ragged_rows.csv": "ragged_row",
    "mixed_delimiters.csv": "ragged_row",
    "no_complete_pairs.csv": "no_complete_pairs",
    "points_not_100.csv": "points_not_100",
    "inconsistent_segment_long.csv": "inconsistent_attribute",
    "very_long_id.csv": "too_long",
    "null_bytes.csv": "null_byte",
    "truncated.xlsx": "damaged_file",
    "zip_bomb.xlsx": "xlsx_too_large",
    "not_a_spreadsheet.csv": "not_a_table",
    "png_named.xlsx": "not_a_table",
    "truncated.parquet": "damaged_file",
    "random_bytes.csv": "not_a_table",
    "latin1_above_scale.csv": "out_of_scale",
    "utf16_text_in_score.csv": "non_numeric",
    "stray_cell.xlsx": "sheet_too_large",
    "formula_score.xlsx": "uncalculated_formula",
    "nested_column.parquet": "unsupported_column",
    "infinite_score.parquet": "out_of_scale",
    "old_excel.xls": "unsupported_format",
    "binary_workbook.xlsb": "unsupported_format",
}

# file name -> a note the report must carry; the file is valid and must be accepted.
ACCEPTED: dict[str, str] = {
    "semicolon_decimal_comma.csv": "delimiter",
    "tab_separated.csv": "delimiter",
    "pipe_separated.csv": "delimiter",
    "utf8_bom.csv": "encoding",
    "latin1.csv": "encoding",
    "cp1252.csv": "encoding",
    "utf16.csv": "encoding",
    "formula_like_ids.csv": "formula_like_text",
}


def base_wide(n: int = 30, seed: int = 7) -> pl.DataFrame:
    """A small valid wide wave on the 1-7 scale: 3 items at 3 stages, E and P."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "respondent_id": [f"R{i:03d}" for i in range(1, n + 1)],
        "segment": rng.choice(["Consumer", "Small business", "Enterprise"], n).tolist(),
        "channel": rng.choice(["Store", "Phone", "Web"], n).tolist(),
        "region": rng.choice(["North", "Süd", "Île-de-France"], n).tolist(),
    }
    for stage in STAGES:
        for item in ITEMS:
            columns[f"{stage}.{item}.E"] = rng.integers(3, 8, n).tolist()
            columns[f"{stage}.{item}.P"] = rng.integers(1, 8, n).tolist()
    return pl.DataFrame(columns)


def base_long(wide: pl.DataFrame) -> pl.DataFrame:
    """The same wave in long layout."""
    scores = [c for c in wide.columns if c.count(".") == 2]
    long = wide.unpivot(index=["respondent_id", "segment", "channel", "region"], on=scores)
    parts = pl.col("variable").str.split(".")
    return (
        long.with_columns(
            parts.list.get(0).alias("stage"),
            parts.list.get(1).alias("item"),
            parts.list.get(2).alias("measure"),
        )
        .pivot(
            on="measure",
            index=["respondent_id", "segment", "channel", "region", "stage", "item"],
            values="value",
        )
        .rename({"E": "expectation", "P": "perception"})
    )


def csv_text(frame: pl.DataFrame, separator: str = ",") -> str:
    buffer = io.StringIO()
    frame.write_csv(buffer, separator=separator)
    return buffer.getvalue()


def xlsx_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_excel(buffer, autofit=False)
    return buffer.getvalue()


def patched_sheet(data: bytes, old: str, new: str) -> bytes:
    """The workbook ``data`` with ``old`` replaced by ``new`` once in its first sheet's XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buffer, "w") as out:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                if old.encode() not in part:
                    raise RuntimeError(f"{old!r} is not in the sheet")
                part = part.replace(old.encode(), new.encode(), 1)
            out.writestr(info, part)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A well-formed xlsx container whose sheet inflates to 256 MiB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"\0" * (64 * 1024 * 1024)
            for _ in range(4):
                sheet.write(chunk)
    return buffer.getvalue()


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def build() -> dict[str, bytes]:
    """Every corpus file's name and bytes."""
    wide = base_wide()
    long = base_long(wide)
    text = csv_text(wide)
    first = "pre_purchase.courtesy.E"
    score = lambda value: wide.with_columns(  # noqa: E731 - one value changed in row 3
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.lit(value))
        .otherwise(pl.col(first).cast(pl.String))
        .alias(first)
    )
    files: dict[str, bytes] = {
        "empty.csv": b"",
        "whitespace_only.csv": b"  \r\n\n\t\n",
        "header_only.csv": text.splitlines()[0].encode() + b"\n",
        "header_only.xlsx": xlsx_bytes(wide.head(0)),
        "missing_expectation_columns.csv": csv_text(wide.select(pl.exclude("^.*\\.E$"))).encode(),
        "missing_perception_columns.csv": csv_text(wide.select(pl.exclude("^.*\\.P$"))).encode(),
        "long_missing_perception.csv": csv_text(long.drop("perception")).encode(),
        "long_missing_respondent_id.csv": csv_text(long.drop("respondent_id")).encode(),
        "no_score_columns.csv": csv_text(wide.select("respondent_id", "segment")).encode(),
        "unknown_stage_wide.csv": csv_text(
            wide.rename({"encounter.courtesy.E": "checkout.courtesy.E"})
        ).encode(),
        "unknown_stage_long.csv": csv_text(
            long.with_columns(pl.col("stage").replace("encounter", "checkout"))
        ).encode(),
        "unknown_item_wide.csv": csv_text(
            wide.rename({"encounter.courtesy.P": "encounter.free_coffee.P"})
        ).encode(),
        "unknown_item_long.csv": csv_text(
            long.with_columns(pl.col("item").replace("courtesy", "free_coffee"))
        ).encode(),
        "text_in_score.csv": csv_text(score("seven")).encode(),
        "above_scale.csv": csv_text(score("8")).encode(),
        "below_scale_zero.csv": csv_text(score("0")).encode(),
        "negative_score.csv": csv_text(score("-3")).encode(),
        "huge_number.csv": csv_text(score("1e308")).encode(),
        "half_point_score.csv": csv_text(score("4.5")).encode(),
        "decimal_comma_half_point.csv": csv_text(score("4,5"), ";").encode(),
        "duplicate_respondent_wide.csv": csv_text(
            wide.with_columns(
                pl.when(pl.int_range(pl.len()) == 9)
                .then(pl.lit("R001"))
                .otherwise(pl.col("respondent_id"))
                .alias("respondent_id")
            )
        ).encode(),
        "duplicate_rows_long.csv": csv_text(pl.concat([long, long.slice(4, 2)])).encode(),
        "missing_respondent_id_values.csv": csv_text(
            wide.with_columns(
                pl.when(pl.int_range(pl.len()).is_in([4, 5]))
                .then(pl.lit(None, pl.String))
                .otherwise(pl.col("respondent_id"))
                .alias("respondent_id")
            )
        ).encode(),
        "duplicate_column.csv": text.replace(
            "encounter.courtesy.P", "encounter.courtesy.E", 1
        ).encode(),
        "ragged_rows.csv": "\n".join(
            line + (",5,6" if i == 7 else "") for i, line in enumerate(text.splitlines())
        ).encode(),
        "mixed_delimiters.csv": "\n".join(
            line.replace(",", ";") if i == 5 else line for i, line in enumerate(text.splitlines())
        ).encode(),
        "no_complete_pairs.csv": csv_text(
            wide.with_columns(
                pl.lit(None, pl.Int64).alias(c) for c in wide.columns if c.endswith(".P")
            )
        ).encode(),
        "points_not_100.csv": csv_text(
            wide.with_columns(
                pl.lit(50).alias("points.reliability"),
                pl.lit(20).alias("points.empathy"),
                pl.lit(20).alias("points.tangibles"),
            )
        ).encode(),
        "inconsistent_segment_long.csv": csv_text(
            long.with_columns(
                pl.when(pl.int_range(pl.len()) == 3)
                .then(pl.lit("Enterprise-X"))
                .otherwise(pl.col("segment"))
                .alias("segment")
            )
        ).encode(),
        "very_long_id.csv": csv_text(
            wide.with_columns(
                pl.when(pl.int_range(pl.len()) == 0)
                .then(pl.lit("R" * 10_000))
                .otherwise(pl.col("respondent_id"))
                .alias("respondent_id")
            )
        ).encode(),
        "null_bytes.csv": text.replace("R005", "R0\x0005", 1).encode(),
        "truncated.xlsx": xlsx_bytes(wide)[:3000],
        "zip_bomb.xlsx": zip_bomb(),
        "not_a_spreadsheet.csv": png_bytes(),
        "png_named.xlsx": png_bytes(),
        "truncated.parquet": _parquet(wide)[:400],
        "random_bytes.csv": np.random.default_rng(3)
        .integers(0, 256, 4096, dtype=np.uint8)
        .tobytes(),
        "latin1_above_scale.csv": csv_text(score("9")).encode("latin-1"),
        "utf16_text_in_score.csv": csv_text(score("sehr gut")).encode("utf-16"),
        # One stray cell in the sheet's last row and column: 17 billion cells to the reader.
        "stray_cell.xlsx": patched_sheet(
            xlsx_bytes(wide),
            "</sheetData>",
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>',
        ),
        # Column E (the first score) of row 3 a formula, with XlsxWriter's placeholder 0.
        "formula_score.xlsx": patched_sheet(
            xlsx_bytes(wide), '<c r="E3" s="2"><v>6</v></c>', '<c r="E3"><f>E2+1</f><v>0</v></c>'
        ),
        "nested_column.parquet": _parquet(
            wide.with_columns(pl.concat_list("pre_purchase.courtesy.E").alias("answers"))
        ),
        "infinite_score.parquet": _parquet(score("inf").with_columns(pl.col(first).cast(float))),
        "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024),
        "binary_workbook.xlsb": _zip_of({"xl/workbook.bin": b"\x83\x01\x00"}),
        # Accepted, with a note in the report.
        "semicolon_decimal_comma.csv": csv_text(score("5,0"), ";").encode(),
        "tab_separated.csv": csv_text(wide, "\t").encode(),
        "pipe_separated.csv": csv_text(wide, "|").encode(),
        "utf8_bom.csv": b"\xef\xbb\xbf" + text.encode(),
        "latin1.csv": text.encode("latin-1"),
        "cp1252.csv": text.replace("Consumer", "Consumer – retail").encode("cp1252"),
        "utf16.csv": text.encode("utf-16"),
        "formula_like_ids.csv": csv_text(
            wide.with_columns(
                pl.when(pl.int_range(pl.len()) == 0)
                .then(pl.lit('=HYPERLINK("http://evil.example","click")'))
                .when(pl.int_range(pl.len()) == 1)
                .then(pl.lit("+cmd|' /C calc'!A0"))
                .when(pl.int_range(pl.len()) == 2)
                .then(pl.lit("@SUM(1+1)"))
                .otherwise(pl.col("respondent_id"))
                .alias("respondent_id")
            )
        ).encode(),
    }
    missing = (set(REFUSED) | set(ACCEPTED)) ^ set(files)
    if missing:
        raise RuntimeError(f"corpus and expectations differ: {sorted(missing)}")
    return files


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def main() -> None:
    for name, data in build().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(REFUSED)} refused and {len(ACCEPTED)} accepted files to {HERE}")


if __name__ == "__main__":
    main()
