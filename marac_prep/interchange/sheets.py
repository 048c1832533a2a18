"""Reads a CSV or XLSX file into rows of text, safely: size, encoding and zip-bomb limits first."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from marac_prep.core.errors import ValidationError
from marac_prep.interchange.cells import cell_text

MB = 1024 * 1024
# An agency-return CSV is imported as a stream (checked and written in batches), so its limits
# are about time, not memory: a million rows (about 185 MB) imports in bounded memory
# (benchmark `import_memory`). A workbook, a Marac list and a preview are read whole, so they keep
# the smaller MAX_ROWS. The limits are listed in the README's "Spreadsheet formats" section;
# keep the two in step.
MAX_CSV_BYTES = 250 * MB
MAX_CSV_ROWS = 1_000_000
MAX_XLSX_BYTES = 20 * MB
# A worksheet's XML and the shared strings, as the zip directory declares them, are checked
# before a byte is parsed; the cells are counted while reading and the sheet refused past this.
MAX_SHEET_XML_BYTES = 100 * MB
MAX_SHARED_STRINGS_BYTES = 50 * MB
MAX_CELLS = 2_000_000
MAX_COLUMNS = 200
# Zip-bomb limits, checked on the archive's directory before openpyxl reads a byte of XML.
# Python's zipfile never inflates an entry past its declared size, so the declared sizes hold.
MAX_XLSX_UNCOMPRESSED = 500 * MB
MAX_XLSX_ENTRIES = 2_000
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM = 2 * MB  # small entries may compress very well without being dangerous
MAX_ROWS = 100_000  # data rows read whole: the header and the lines above it are not counted
# Rows that may stand above the data (a title, "Agency: Police", the header itself).
HEADER_ALLOWANCE = 30
_READ_CHUNK = 1 * MB
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
        rows: the rows read; for a streamed CSV (`stream_sheet`) only the first ones, where the
            header is, and `rest` yields the others.
        encoding: the text encoding a CSV was read with ("" for XLSX).
        delimiter: the CSV field separator ("," for XLSX, used for the rejects file).
        rest: the rows after `rows`, read as they are asked for (empty unless streamed).
        position: how many bytes of the file have been read so far (for progress).
    """

    path: Path
    kind: str
    rows: list[RawRow]
    encoding: str = ""
    delimiter: str = ","
    notes: list[str] = field(default_factory=list)
    rest: Iterator[RawRow] = field(default_factory=lambda: iter(()))
    position: Callable[[], int] = field(default=lambda: 0)


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
    return _read_csv(path, is_header)


# A byte sequence only UTF-8 makes: a lead byte and its continuation bytes.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NUL_REFUSED = (
    "{name} contains NUL characters, so it is not a CSV text file (or it is damaged); it was not "
    "imported. Save it again from Excel as 'CSV UTF-8'."
)


@dataclass(frozen=True)
class _Encoding:
    """How a CSV file's bytes are text: the codec and the bytes of a byte-order mark to skip."""

    codec: str
    skip: int
    name: str


def _encoding_of(path: Path) -> _Encoding:
    """Reads the file once, a chunk at a time and keeping nothing, to tell its encoding.

    Refuses NUL characters in any encoding (UTF-16 too) and a file that mixes UTF-8 with
    Windows-1252 (decoding it as either would silently change names: "Şule" into "Åžule").
    """
    with path.open("rb") as handle:
        head = handle.read(3)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        decoder = codecs.getincrementaldecoder("utf-16")()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_READ_CHUNK):
                    if "\x00" in decoder.decode(chunk):
                        raise ValidationError(_NUL_REFUSED.format(name=path.name))
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ValidationError(f"{path.name} says it is UTF-16 text but is damaged; save it again as CSV.") from None
        return _Encoding("utf-16", 0, "utf-16")
    bom = 3 if head == b"\xef\xbb\xbf" else 0
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8, has_utf8_sequences = True, False
    with path.open("rb") as handle:
        handle.read(bom)
        while chunk := handle.read(_READ_CHUNK):
            if b"\x00" in chunk:
                raise ValidationError(_NUL_REFUSED.format(name=path.name))
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            has_utf8_sequences = has_utf8_sequences or bool(_UTF8_MULTIBYTE.search(chunk))
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if is_utf8:
        return _Encoding("utf-8", bom, "utf-8-sig" if bom else "utf-8")
    if has_utf8_sequences:
        raise ValidationError(
            f"{path.name} mixes two text encodings (UTF-8 and Windows-1252), so some names would be "
            "changed on import; it was not imported. Open it in Excel and save it as 'CSV UTF-8'."
        )
    # A byte-order mark on Windows-1252 text: some tools add one blindly.
    return _Encoding("cp1252", bom, "cp1252")


def _open_text(path: Path, encoding: _Encoding) -> io.TextIOWrapper:
    raw = path.open("rb")
    raw.read(encoding.skip)
    return io.TextIOWrapper(raw, encoding=encoding.codec, errors="strict", newline="")


def _csv_rows(handle: io.TextIOBase | io.StringIO, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(handle, delimiter=delimiter, strict=False)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _pick_delimiter(text: str, is_header: HeaderProbe | None) -> str:
    sample = "\n".join(text.splitlines()[:30])
    if is_header is not None:
        for delimiter in DELIMITERS:
            try:
                if any(is_header(cells) for _, cells in _csv_rows(io.StringIO(sample, newline=""), delimiter)):
                    return delimiter
            except csv.Error:
                continue
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=lambda d: (first.count(d), d == ","))


def too_many_rows(name: str, limit: int = MAX_ROWS) -> ValidationError:
    return ValidationError(f"{name} has more than {limit:,} data rows; split it into smaller files.")


def _unreadable_csv(path: Path, exc: Exception) -> ValidationError:
    if isinstance(exc, csv.Error):
        return ValidationError(f"{path.name} is not a readable CSV file ({exc}).")
    return ValidationError(
        f"{path.name} is neither UTF-8 nor Windows-1252 text; save it from Excel as "
        "'CSV UTF-8' and import that."
    )


def _csv_stream(path: Path, handle: io.TextIOWrapper, delimiter: str, limit: int) -> Iterator[RawRow]:
    """The file's non-blank rows, read as they are asked for; refused past `limit` rows."""
    count = 0
    try:
        for number, cells in _csv_rows(handle, delimiter):
            if "".join(cells).strip():
                count += 1
                if count > limit + HEADER_ALLOWANCE:
                    raise too_many_rows(path.name, limit)
                yield RawRow(number, tuple(cells))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise _unreadable_csv(path, exc) from None


def _csv_delimiter(path: Path, encoding: _Encoding, is_header: HeaderProbe | None) -> str:
    try:
        with _open_text(path, encoding) as handle:
            return _pick_delimiter(handle.read(200_000), is_header)
    except UnicodeDecodeError as exc:
        raise _unreadable_csv(path, exc) from None


def _read_csv(path: Path, is_header: HeaderProbe | None) -> Sheet:
    encoding = _encoding_of(path)
    delimiter = _csv_delimiter(path, encoding, is_header)
    # Read as a stream: the file's text is never held whole, only its rows.
    with _open_text(path, encoding) as handle:
        rows = list(_csv_stream(path, handle, delimiter, MAX_ROWS))
    return Sheet(path=path, kind="csv", rows=rows, encoding=encoding.name, delimiter=delimiter)


@contextmanager
def stream_sheet(path: Path, *, is_header: HeaderProbe | None = None) -> Iterator[Sheet]:
    """Like `read_sheet`, but a CSV's rows after the first HEADER_ALLOWANCE are read only as
    `sheet.rest` is iterated (up to MAX_CSV_ROWS data rows), and its file stays open until the
    `with` block ends. Memory then does not grow with the file. A workbook is read whole.

    Raises:
        ValidationError: as `read_sheet`, and while iterating `rest` (too many rows, damaged text).
    """
    path = Path(path)
    if not path.is_file() or _is_workbook(path) or path.stat().st_size > MAX_CSV_BYTES:
        yield read_sheet(path, is_header=is_header)  # refusals and workbooks are read_sheet's
        return
    encoding = _encoding_of(path)
    delimiter = _csv_delimiter(path, encoding, is_header)
    with path.open("rb") as raw:
        raw.read(encoding.skip)
        handle = io.TextIOWrapper(raw, encoding=encoding.codec, errors="strict", newline="")
        rows = _csv_stream(path, handle, delimiter, MAX_CSV_ROWS)
        head = list(itertools.islice(rows, HEADER_ALLOWANCE))
        yield Sheet(path=path, kind="csv", rows=head, encoding=encoding.name, delimiter=delimiter, rest=rows,
                    position=raw.tell)


def _is_workbook(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(8)
    return head.startswith((_ZIP_MAGIC, _OLE_MAGIC))


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
        if entry.filename.startswith("xl/worksheets/") and entry.file_size > MAX_SHEET_XML_BYTES:
            raise ValidationError(
                f"{path.name} has a worksheet of {entry.file_size / MB:,.0f} MB once unpacked, more than the "
                f"{MAX_SHEET_XML_BYTES // MB} MB allowed; it was not opened – split it into smaller files."
            )
        if entry.filename == "xl/sharedStrings.xml" and entry.file_size > MAX_SHARED_STRINGS_BYTES:
            raise ValidationError(
                f"{path.name} holds {entry.file_size / MB:,.0f} MB of text once unpacked, more than the "
                f"{MAX_SHARED_STRINGS_BYTES // MB} MB allowed; it was not opened – split it into smaller files."
            )
        if entry.file_size >= RATIO_CHECK_FROM and entry.file_size > MAX_COMPRESSION_RATIO * max(
            entry.compress_size, 1
        ):
            raise ValidationError(
                f"{path.name} contains a part compressed more than {MAX_COMPRESSION_RATIO} to 1; "
                "it was not opened (it may be a zip bomb)."
            )


def _xlsx_rows(name: str, sheet: Any) -> list[RawRow]:
    """The sheet's rows as its XML holds them.

    openpyxl's own `iter_rows` makes up every missing row and pads every row to the sheet's
    declared width, so two filled rows a million rows apart (or a dimension of A1:XFD1048576)
    hang it; here only the rows and cells the file really contains are read, and the cells
    are counted so a sheet with more than MAX_CELLS is refused before it is read whole.
    """
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.worksheet._reader import WorkSheetParser

    rows: list[RawRow] = []
    cells_seen = 0
    book = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source, sheet._shared_strings, data_only=False, epoch=book.epoch,
            date_formats=book._date_formats, timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            filled = [c for c in cells if c["value"] is not None]
            if not filled:
                continue
            cells_seen += len(filled)
            if cells_seen > MAX_CELLS:
                raise ValidationError(
                    f"{name} has more than {MAX_CELLS:,} filled cells; it was not imported – split it into "
                    "smaller files."
                )
            widest = max(c["column"] for c in filled)
            if widest > MAX_COLUMNS:
                raise ValidationError(
                    f"{name} has a filled cell in column {widest:,} (row {number:,}); rows of up to "
                    f"{MAX_COLUMNS} columns can be imported – delete the cells beyond them."
                )
            texts = [""] * widest
            formulas: list[int] = []
            for c in filled:
                cell = ReadOnlyCell(sheet, c["row"], c["column"], c["value"], c["data_type"], c["style_id"])
                if cell.data_type == "f":
                    formulas.append(c["column"] - 1)
                texts[c["column"] - 1] = cell_text(cell.value, cell.number_format)
            while texts and not texts[-1].strip():
                texts.pop()
            row = RawRow(number, tuple(texts), tuple(sorted(i for i in formulas if i < len(texts))))
            if not row.is_blank():
                rows.append(row)
                if len(rows) > MAX_ROWS + HEADER_ALLOWANCE:
                    raise too_many_rows(name)
    return rows


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
                rows = _xlsx_rows(path.name, book.worksheets[0])
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
