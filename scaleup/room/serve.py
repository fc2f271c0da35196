"""Starting a room: the sessions folder, the facilitator's token, the URLs and QR code, uvicorn.

The token is kept in ``ROOT/room.token`` (created with mode 0600: it is a password) so that a
restarted server keeps the facilitator's browser signed in; the join and facilitator URLs and a
QR code of the join URL are printed at start. With ``--host 0.0.0.0`` the printed addresses use
this machine's address on the local network, which phones in the room can reach.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Optional, TextIO

from ..errors import Problem, ScaleupError
from ..exercise.load import LoadedExercise
from ..safetext import terminal
from .state import Room, Session

TOKEN_FILE = "room.token"


def facilitator_token(root: Path) -> str:
    """The token of this sessions folder, created (0600) on first use."""
    path = root / TOKEN_FILE
    try:
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 16:
            return token
    except (OSError, UnicodeDecodeError):
        pass
    token = secrets.token_urlsafe(18)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), or 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def public_base(host: str, port: int) -> str:
    """The address printed for people to type: the LAN address when listening on every interface."""
    shown = lan_address() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def qr_text(url: str) -> str:
    import io

    import segno
    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def run(ex: LoadedExercise, *, host: str, port: int, folder: Path, anonymous: bool, out: TextIO,
        session_id: Optional[str] = None) -> None:
    """Serve ``ex`` until interrupted (Ctrl+C)."""
    import uvicorn

    from .app import create_app   # Starlette and the templates, only when a room is served
    room = Room(ex, folder)
    session: Optional[Session] = room.get(session_id) if session_id else room.latest()
    if session is None:
        session = room.new()
    token = facilitator_token(folder)
    base = public_base(host, port)
    app = create_app(room, token, join_url=lambda s: f"{base}/s/{s.sid}/", anonymous=anonymous)
    join = f"{base}/s/{session.sid}/"
    say = lambda text="": print(terminal(text), file=out, flush=True)   # noqa: E731
    say(f"{ex.exercise.title}: session {session.sid} ({len(session.participants)} participants so far), "
        f"answers in {session.folder}")
    say(f"Participants join at: {join}")
    print(qr_text(join), file=out, flush=True)
    say(f"Facilitator (keep this private): {base}/f?token={token}&next=/s/{session.sid}/f")
    if host in ("127.0.0.1", "localhost", "::1"):
        say("Only this computer can connect. For phones on the room's network: --host 0.0.0.0 "
            "(and allow the port through the firewall).")
    say("Stop with Ctrl+C; serving the same folder again resumes every session.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                    limit_concurrency=200, timeout_keep_alive=10, server_header=False)
    except OSError as exc:     # pragma: no cover - uvicorn reports bind errors by exiting
        raise ScaleupError(Problem(f"{host}:{port}", None, "", f"cannot listen: {exc.strerror or exc}",
                                   "give another --port")) from None
