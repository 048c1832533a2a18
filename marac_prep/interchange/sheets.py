"""Reads a CSV or XLSX file into rows of text, safely: size, encoding and zip-bomb limits first."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from marac_prep.core.errors import ValidationError
from marac_prep.interchange.cells import cell_text

MB = 1024 * 1024
# Far beyond any Marac's returns (50,000 rows of CSV is about 15 MB) yet small enough to refuse
# a stray database dump or video before reading it.
MAX_CSV_BYTES = 100 * MB
MAX_XLSX_BYTES = 50 * MB
# Zip-bomb limits, checked on the archive's directory before openpyxl reads a byte of XML.
# Python's zipfile never inflates an entry past its declared size, so the declared sizes hold.
MAX_XLSX_UNCOMPRESSED = 500 * MB
MAX_XLSX_ENTRIES = 2_000
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM = 2 * MB  # small entries may compress very well without being dangerous
MAX_ROWS = 1_000_000
DELIMITERS = (",", ";", "\t", "|")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class RawRow(NamedTuple):
    """One non-blank row as it stands in the file (a named tuple: 50,000 are made per import).

    Attributes:
        number: the line (CSV) or row (XLSX) where it starts, counted from 1, for messages.
        cells: each cell's text, unchanged (Excel dates as ISO text).
        formula_columns: indexes of XLSX cells holding a formula (never run, only reported).
    """

    number: int
    cells: tuple[str, ...]
    formula_columns: tuple[int, ...] = ()

    def is_blank(self) -> bool:
        return not "".join(self.cells).strip()


@dataclass
class Sheet:
    """A file's rows (blank lines left out), and how the file was read.

    Attributes:
        kind: "csv" or "xlsx".
        encoding: the text encoding a CSV was read with ("" for XLSX).
        delimiter: the CSV field separator ("," for XLSX, used for the rejects file).
    """

    path: Path
    kind: str
    rows: list[RawRow]
    encoding: str = ""
    delimiter: str = ","
    notes: list[str] = field(default_factory=list)


HeaderProbe = Callable[[list[str]], bool]


def read_sheet(path: Path, *, is_header: HeaderProbe | None = None) -> Sheet:
    """Reads the first sheet of an XLSX, or a CSV in UTF-8 (with or without BOM), UTF-16 or
    Windows-1252. The format is told from the content, not the file name.

    Raises:
        ValidationError: one sentence saying why the file cannot be read; it is left unchanged.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path} is not a file that can be read.")
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE_MAGIC):
        raise ValidationError(
            f"{path.name} is an old Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV and import that."
        )
    if head.startswith(_ZIP_MAGIC):
        if size > MAX_XLSX_BYTES:
            raise ValidationError(
                f"{path.name} is {size / MB:.0f} MB; workbooks up to {MAX_XLSX_BYTES // MB} MB can be "
                "imported – split it into smaller files."
            )
        return _read_xlsx(path)
    if size > MAX_CSV_BYTES:
        raise ValidationError(
            f"{path.name} is {size / MB:.0f} MB; CSV files up to {MAX_CSV_BYTES // MB} MB can be "
            "imported – split it into smaller files."
        )
    return _read_csv(path, path.read_bytes(), is_header)


def _decode(name: str, data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ValidationError(f"{name} says it is UTF-16 text but is damaged; save it again as CSV.") from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass  # a BOM on Windows-1252 text: some tools add one blindly
        data = data[3:]
    if b"\x00" in data:
        raise ValidationError(f"{name} is not a CSV text file or an .xlsx workbook.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise ValidationError(
            f"{name} is neither UTF-8 nor Windows-1252 text; save it from Excel as "
            "'CSV UTF-8' and import that."
        ) from None


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _pick_delimiter(text: str, is_header: HeaderProbe | None) -> str:
    sample = "\n".join(text[:200_000].splitlines()[:30])
    if is_header is not None:
        for delimiter in DELIMITERS:
            try:
                if any(is_header(cells) for _, cells in _csv_rows(sample, delimiter)):
                    return delimiter
            except csv.Error:
                continue
    first = next((line for line in text[:200_000].splitlines() if line.strip()), "")
    return max(DELIMITERS, key=lambda d: (first.count(d), d == ","))


def _read_csv(path: Path, data: bytes, is_header: HeaderProbe | None) -> Sheet:
    text, encoding = _decode(path.name, data)
    delimiter = _pick_delimiter(text, is_header)
    rows: list[RawRow] = []
    try:
        for number, cells in _csv_rows(text, delimiter):
            if "".join(cells).strip():
                rows.append(RawRow(number, tuple(cells)))
                if len(rows) > MAX_ROWS:
                    raise ValidationError(
                        f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files."
                    )
    except csv.Error as exc:
        raise ValidationError(f"{path.name} is not a readable CSV file ({exc}).") from None
    return Sheet(path=path, kind="csv", rows=rows, encoding=encoding, delimiter=delimiter)


def check_xlsx_archive(path: Path) -> None:
    """Refuses a workbook whose zip directory promises too much data (a zip bomb) or is broken."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValidationError(f"{path.name} is not a readable .xlsx workbook (the file is damaged).") from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise ValidationError(
            f"{path.name} holds {len(entries):,} parts, more than any real workbook; it was not opened."
        )
    total = sum(e.file_size for e in entries)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise ValidationError(
            f"{path.name} would expand to {total / MB:,.0f} MB, more than the "
            f"{MAX_XLSX_UNCOMPRESSED // MB} MB allowed; it was not opened (it may be a zip bomb)."
        )
    for entry in entries:
        if entry.file_size >= RATIO_CHECK_FROM and entry.file_size > MAX_COMPRESSION_RATIO * max(
            entry.compress_size, 1
        ):
            raise ValidationError(
                f"{path.name} contains a part compressed more than {MAX_COMPRESSION_RATIO} to 1; "
                "it was not opened (it may be a zip bomb)."
            )


def _read_xlsx(path: Path) -> Sheet:
    check_xlsx_archive(path)
    import openpyxl  # imported late: only XLSX imports pay for it
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
        raise ValidationError("Workbooks cannot be imported safely: the defusedxml package is missing.")
    rows: list[RawRow] = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (extensions, print settings); the data is kept.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
            try:
                if not book.worksheets:
                    raise ValidationError(f"{path.name} has no worksheet.")
                sheet = book.worksheets[0]
                for number, cells in enumerate(sheet.iter_rows(), start=1):
                    texts: list[str] = []
                    formulas: list[int] = []
                    for index, cell in enumerate(cells):
                        value = getattr(cell, "value", None)
                        if getattr(cell, "data_type", "") == "f":
                            formulas.append(index)
                        texts.append(cell_text(value, getattr(cell, "number_format", None)))
                    while texts and not texts[-1].strip():
                        texts.pop()
                    row = RawRow(number, tuple(texts), tuple(i for i in formulas if i < len(texts)))
                    if not row.is_blank():
                        rows.append(row)
                        if len(rows) > MAX_ROWS:
                            raise ValidationError(
                                f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files."
                            )
            finally:
                book.close()
    except ValidationError:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged or hostile workbook
        from defusedxml import DefusedXmlException

        if isinstance(exc, DefusedXmlException) or isinstance(exc.__cause__, DefusedXmlException):
            raise ValidationError(
                f"{path.name} contains XML entity or DTD declarations, which real workbooks do not use "
                "and attacks do; it was not read."
            ) from None
        raise ValidationError(
            f"{path.name} could not be read as an .xlsx workbook ({exc.__class__.__name__}); "
            "open it in Excel, save it again and retry."
        ) from None
    return Sheet(path=path, kind="xlsx", rows=rows)
