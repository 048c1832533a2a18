"""A desk in another process for the race tests: reads and saves records on command.

    python race_process.py DATABASE USER_ID

Reads one command per line on stdin and answers one line on stdout:

    read KIND ID                    the record's version as this desk sees it now
    write KIND ID VERSION TEXT      save TEXT into the record as read at VERSION:
                                    "saved", "conflict" or "error <message>"
    chase CASE_ID AGENCY_ID         chase an agency's return without naming a version
    import MEETING_ID FILE          import an agency-returns file: the rows imported, or "error …"
    quit

KIND is case, meeting, return, entry, person or setting (whose ID is the setting's name). The parent sends "write" to two desks at once
after both have read the same version: exactly one may win.
"""

from __future__ import annotations

import sys
from pathlib import Path

from marac_prep.core.cases import PersonInput, update_case, update_person
from marac_prep.core.chronology import edit_entry
from marac_prep.core.db import open_database
from marac_prep.core.errors import ConflictError, MaracError
from marac_prep.core.meetings import update_meeting
from marac_prep.core.models import AgencyReturn, Case, ChronologyEntry, Meeting, Person, Setting, User
from marac_prep.core.returns import set_return
from marac_prep.core.settings import set_settings
from marac_prep.interchange.importer import import_file

MODELS = {"case": Case, "meeting": Meeting, "return": AgencyReturn, "entry": ChronologyEntry, "person": Person,
          "setting": Setting}


def _key(kind: str, text: str) -> int | str:
    return text if kind == "setting" else int(text)


def _write(session, actor: User, kind: str, row_id, version: int, words: str) -> None:
    if kind == "setting":
        set_settings(session, actor=actor, values={row_id: words}, expected_versions={row_id: version})
    elif kind == "case":
        update_case(session, actor=actor, case_id=row_id, expected_version=version, criteria_notes=words)
    elif kind == "meeting":
        update_meeting(session, actor=actor, meeting_id=row_id, expected_version=version, area=words)
    elif kind == "return":
        stored = session.get(AgencyReturn, row_id)
        set_return(session, actor=actor, case_id=stored.case_id, agency_id=stored.agency_id, status="requested",
                   note=words, expected_version=version)
    elif kind == "entry":
        edit_entry(session, actor=actor, entry_id=row_id, expected_version=version, summary=words)
    elif kind == "person":
        stored = session.get(Person, row_id)
        update_person(session, actor=actor, person_id=row_id, expected_version=version,
                      person=PersonInput(role=stored.role, name=words))
    else:
        raise SystemExit(f"unknown kind {kind}")


def main(target: str, user_id: int) -> None:
    db = open_database(target)
    with db.read_session() as s:
        actor = s.get(User, user_id)
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split(maxsplit=4)
        answer = ""
        try:
            if command == "quit":
                break
            if command == "read":
                with db.read_session() as s:
                    stored = s.get(MODELS[args[0]], _key(args[0], args[1]))
                    answer = str(stored.version if stored is not None else 0)  # type: ignore[attr-defined]
            elif command == "write":
                with db.session() as s:
                    _write(s, actor, args[0], _key(args[0], args[1]), int(args[2]), args[3].strip())
                answer = "saved"
            elif command == "chase":
                with db.session() as s:
                    set_return(s, actor=actor, case_id=int(args[0]), agency_id=int(args[1]), status="chased")
                answer = "saved"
            elif command == "import":
                with db.session() as s:
                    result = import_file(s, actor=actor, meeting_id=int(args[0]), path=Path(args[1].strip()))
                answer = str(result.imported)
        except ConflictError:
            answer = "conflict"
        except MaracError as exc:
            answer = f"error {exc}"
        except Exception as exc:
            answer = f"error {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        print(answer, flush=True)
    db.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
