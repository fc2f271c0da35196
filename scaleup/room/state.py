"""Sessions of a served exercise and their files.

A session lives in its own folder (``ROOT/SESSION-ID/``): one answer sheet per participant
(``answers-EXERCISE-NAME.yaml``, written atomically after every answer, the format ``exercise
score`` reads) and ``room.state`` (JSON: the current inject, which injects are locked and
revealed, whether the exercise ended, and each participant's name, sheet and the SHA-256 of the
secret in their browser's cookie). Answers are never kept only in memory: a restarted server
reads them back from the sheets.

The library raises :class:`RoomError` for an action that is not allowed now (answering a locked
inject, an option that does not exist); the web layer turns it into a message.

Longer than 300 lines because a session's state and its answer sheets on disk change together, under
one lock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import Problem, ScaleupError
from ..exercise.load import Asked, LoadedExercise
from ..exercise.play import default_sheet, utc_now
from ..exercise.score import Sheet, read_sheet, sheet_text
from ..writeout import write_atomic

STATE = "room.state"             # not .json: `exercise score FOLDER` reads .yaml/.yml/.json files
MAX_NAME = 60
MAX_TEXT = 2000
MAX_PARTICIPANTS = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SID = re.compile(r"[a-z0-9]{4,16}")


class RoomError(Exception):
    """An action that is not possible now; the message is for the person who tried it."""


def clean(text: str, limit: int) -> str:
    """``text`` without control or bidirectional-override characters, single-spaced, cut at ``limit``."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def hashed(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class Participant:
    """One participant: name as shown, sheet file (in the session folder), answers so far."""

    pid: str
    name: str
    sheet: str
    secret: str                                  # SHA-256 of the cookie's secret
    started: str
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)   # qid -> (value, at)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


@dataclass
class Tally:
    """Answers to one question so far: count per option value."""

    asked: Asked
    counts: dict[str, int]
    answered: int


class Session:
    """One run of the exercise for one room."""

    def __init__(self, ex: LoadedExercise, folder: Path, sid: str, clock: Callable[[], str] = utc_now):
        self.ex, self.folder, self.sid, self.clock = ex, folder, sid, clock
        self.step = 0
        self.locked: set[int] = set()
        self.revealed: set[int] = set()
        self.ended = False
        self.created = clock()
        self.participants: dict[str, Participant] = {}
        self.by_secret: dict[str, str] = {}
        self.changes = 0        # counts every change (the facilitator's live panel)

    # --- files ------------------------------------------------------------------------------

    @classmethod
    def create(cls, ex: LoadedExercise, root: Path, clock: Callable[[], str] = utc_now) -> "Session":
        for _ in range(100):
            sid = secrets.token_hex(3)
            folder = root / sid
            try:
                folder.mkdir(parents=True)
            except FileExistsError:
                continue
            session = cls(ex, folder, sid, clock)
            session.save_state()
            return session
        raise ScaleupError(Problem(str(root), None, "", "could not create a new session folder",
                                   "check the folder's permissions"))

    @classmethod
    def load(cls, ex: LoadedExercise, folder: Path, clock: Callable[[], str] = utc_now) -> "Session":
        """A session read back from its folder: state from ``room.state``, answers from the sheets.

        Raises:
            ScaleupError: the state file is unreadable, or a sheet it names is invalid.
        """
        path = folder / STATE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            session = cls(ex, folder, folder.name, clock)
            session.step = int(data["step"])
            session.locked, session.revealed = set(map(int, data["locked"])), set(map(int, data["revealed"]))
            session.ended, session.created = bool(data["ended"]), str(data["created"])
            people = [(str(p["pid"]), str(p["name"]), str(p["sheet"]), str(p["secret"])) for p in data["participants"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ScaleupError(Problem(str(path), None, "", f"cannot read the session's state: {exc}",
                                       "move the session folder away to start afresh")) from None
        if data.get("exercise") != ex.exercise.id:
            raise ScaleupError(Problem(str(path), None, "exercise",
                                       f"this session is of exercise {data.get('exercise')!r}, not {ex.exercise.id!r}",
                                       "serve it with its own exercise file, or give another --dir"))
        session.step = min(max(session.step, 0), len(ex.steps) - 1)
        for pid, name, sheet_name, secret in people:
            sheet = read_sheet(folder / sheet_name, ex, partial=True) if (folder / sheet_name).is_file() else None
            if sheet is not None and sheet.problems:
                raise ScaleupError(sheet.problems)
            p = Participant(pid, name, sheet_name, secret, (sheet and sheet.started) or session.created)
            if sheet is not None:
                p.answers = {qid: (v, sheet.times.get(qid, "")) for qid, v in {**sheet.answers, **sheet.reflections}.items()}
            session.participants[pid] = p
            session.by_secret[secret] = pid
        return session

    def save_state(self) -> None:
        data = {"exercise": self.ex.exercise.id, "sha256": self.ex.sha256, "created": self.created,
                "step": self.step, "locked": sorted(self.locked), "revealed": sorted(self.revealed),
                "ended": self.ended,
                "participants": [{"pid": p.pid, "name": p.name, "sheet": p.sheet, "secret": p.secret}
                                 for p in self.participants.values()]}
        write_atomic(self.folder / STATE, json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    def write_sheet(self, p: Participant) -> None:
        write_atomic(self.folder / p.sheet, sheet_text(self.ex, p.name, p.answers, p.started,
                                                       self.clock() if self.ended else None))

    # --- participants -----------------------------------------------------------------------

    def join(self, name: str) -> tuple[Participant, str]:
        """A new participant (``name`` empty: anonymous) and the secret for their cookie."""
        if self.ended:
            raise RoomError("The exercise has ended.")
        if len(self.participants) >= MAX_PARTICIPANTS:
            raise RoomError("This session is full.")
        names = {p.name for p in self.participants.values()}
        base = clean(name, MAX_NAME) or f"Anonymous {len(self.participants) + 1}"
        shown, n = base, 1
        while shown in names:
            n += 1
            shown = f"{base} ({n})"
        sheet = next(default_sheet(self.ex, shown, k).name for k in range(1, MAX_PARTICIPANTS + 2)
                     if not (self.folder / default_sheet(self.ex, shown, k).name).exists()
                     and default_sheet(self.ex, shown, k).name not in {p.sheet for p in self.participants.values()})
        secret = secrets.token_urlsafe(24)
        p = Participant(f"p{len(self.participants) + 1}", shown, sheet, hashed(secret), self.clock())
        self.write_sheet(p)           # the sheet first: a state naming a sheet never lacks it
        self.participants[p.pid] = p
        self.by_secret[p.secret] = p.pid
        self.save_state()
        self.changes += 1
        return p, secret

    def who(self, secret: Optional[str]) -> Optional[Participant]:
        pid = self.by_secret.get(hashed(secret)) if secret else None
        return self.participants.get(pid) if pid else None

    def questions(self, step: Optional[int] = None) -> list[Asked]:
        at = self.step if step is None else step
        return [q for q in self.ex.questions if q.step == at]

    def answer(self, p: Participant, qid: str, value: str) -> None:
        """Record an answer to a question of the current inject and write the sheet. Safe to call
        from several threads: one participant's answers are recorded and written in order.

        Raises:
            RoomError: the question is not of the current inject, the inject is locked, the exercise
                ended, or the value is not an option.
        """
        asked = next((q for q in self.questions() if q.id == qid), None)
        if asked is None:
            raise RoomError("That question is not open now.")
        if self.ended or self.step in self.locked:
            raise RoomError("Answers to this inject are locked.")
        if asked.scored:
            if value not in {c.value for c in asked.options}:
                raise RoomError("That is not one of the options.")
        else:
            value = clean(value, MAX_TEXT)
        with p.lock:
            if value:
                p.answers[qid] = (value, self.clock())
            else:
                p.answers.pop(qid, None)          # an emptied reflection
            self.write_sheet(p)
        self.changes += 1

    # --- the facilitator --------------------------------------------------------------------

    def act(self, action: str) -> None:
        """``lock``, ``unlock``, ``reveal``, ``next``, ``back`` or ``end``."""
        if self.ended and action != "end":
            raise RoomError("The exercise has ended.")
        if action == "lock":
            self.locked.add(self.step)
        elif action == "unlock":
            if self.step in self.revealed:
                raise RoomError("The answers were revealed: they cannot be changed any more.")
            self.locked.discard(self.step)
        elif action == "reveal":
            self.locked.add(self.step)
            self.revealed.add(self.step)
        elif action == "next":
            if self.step + 1 >= len(self.ex.steps):
                raise RoomError("This is the last inject: end the exercise.")
            self.step += 1
        elif action == "back":
            if self.step == 0:
                raise RoomError("This is the first inject.")
            self.step -= 1
        elif action == "end":
            if self.ended:
                return
            self.ended = True
            self.locked.update(range(len(self.ex.steps)))
            for p in self.participants.values():
                self.write_sheet(p)            # marks each sheet finished
        else:
            raise RoomError(f"Unknown action {action!r}.")
        self.save_state()
        self.changes += 1

    @property
    def stage(self) -> str:
        """What participants see changes exactly when this does (their page reloads then)."""
        return f"{self.step}-{int(self.step in self.locked)}-{int(self.step in self.revealed)}-{int(self.ended)}"

    def tallies(self, step: Optional[int] = None) -> list[Tally]:
        out = []
        for asked in self.questions(step):
            given = [p.answers[asked.id][0] for p in self.participants.values() if asked.id in p.answers]
            counts = {c.value: 0 for c in asked.options}
            for value in given:
                if value in counts:
                    counts[value] += 1
            out.append(Tally(asked, counts, len(given)))
        return out

    def complete(self, step: Optional[int] = None) -> int:
        """How many participants answered every scored question of the inject."""
        scored = [q.id for q in self.questions(step) if q.scored]
        return sum(all(qid in p.answers for qid in scored) for p in self.participants.values())

    def sheets(self, anonymous: bool = False) -> list[Sheet]:
        """The participants' sheets as read back from the folder (for the debrief)."""
        out = []
        for n, p in enumerate(self.participants.values(), 1):
            sheet = read_sheet(self.folder / p.sheet, self.ex)
            if sheet.problems:
                continue
            if anonymous:
                sheet = dataclasses.replace(sheet, participant=f"Participant {n}", file=f"participant-{n}")
            out.append(sheet)
        return out


class Room:
    """Every session of one exercise under one root folder, by id."""

    def __init__(self, ex: LoadedExercise, root: Path, clock: Callable[[], str] = utc_now):
        self.ex, self.root, self.clock = ex, root, clock
        self.sessions: dict[str, Session] = {}
        root.mkdir(parents=True, exist_ok=True)
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and _SID.fullmatch(p.name)):
            if (folder / STATE).is_file():
                self.sessions[folder.name] = Session.load(ex, folder, clock)

    def new(self) -> Session:
        session = Session.create(self.ex, self.root, self.clock)
        self.sessions[session.sid] = session
        return session

    def latest(self) -> Optional[Session]:
        """The newest session that has not ended (the one a fresh start shows)."""
        live = [s for s in self.sessions.values() if not s.ended]
        return max(live, key=lambda s: (s.created, s.sid)) if live else None

    def get(self, sid: str) -> Optional[Session]:
        return self.sessions.get(sid)


def summary(session: Session) -> dict[str, Any]:
    """A small JSON-able status of a session (tests, the benchmark)."""
    return {"session": session.sid, "step": session.step, "locked": session.step in session.locked,
            "revealed": session.step in session.revealed, "ended": session.ended,
            "participants": len(session.participants), "complete": session.complete()}
