"""The room's web application (Starlette): server-rendered pages, a few lines of script.

Participants (``/s/SID/``) join, answer, and see the reveal; their browser holds a random secret
in a cookie scoped to the session. The facilitator's pages (``/f``, ``/s/SID/f...``) need the
token printed at start: given once in the URL (``/f?token=...``) it is kept in a cookie, and every
facilitator route checks it server-side; facilitator actions (POST) must also carry it in the
form, so another site cannot make the facilitator's browser act.

Hardening: Jinja2 autoescape on every page; a Content-Security-Policy allowing only this server's
own script and styles; request bodies over :data:`MAX_BODY` refused with 413; joins limited per
address (429); forms parsed here (urlencoded, UTF-8), no multipart. A participant closing the tab
mid-request loses nothing written and breaks nothing (each answer is one complete request).

Longer than 300 lines because every route of the room lives here beside the guard it needs; split,
the token checks would scatter.
"""

from __future__ import annotations

import dataclasses
import functools
import hmac
import time
from collections import defaultdict, deque
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..exercise.debrief import build, render_html
from ..exercise.explain import Explanation, Line, sources
from ..exercise.handout import figure_rows
from ..exercise.keys import explain_key
from .state import MAX_NAME, MAX_TEXT, Room, RoomError, Session, summary

MAX_BODY = 16 * 1024
FAC_COOKIE = "scaleup_facilitator"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# the debrief page is the self-contained HTML of `exercise debrief`: inline styles, no script
DEBRIEF_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HERE = Path(str(files("scaleup.room")))


class JoinLimiter:
    """At most ``limit`` joins per ``window`` seconds from one address."""

    def __init__(self, limit: int = 20, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, address: str) -> bool:
        now, times = self.clock(), self.seen[address]
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True


class BodyLimit:
    """Refuse a request whose declared body is over ``limit`` bytes with 413 before reading it
    (bodies without a length are counted as they are read, by :func:`read_form`)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                await Response("Request too large.", 413, media_type="text/plain")(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Headers:
    """Security headers on every response (pages set their own Content-Security-Policy)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        static = scope.get("path", "").startswith("/static/")

        async def send_with(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"cache-control", b"max-age=600" if static else b"no-store"),
                         (b"content-security-policy", CSP.encode())]
                message["headers"] = headers + [(k, v) for k, v in extra if k not in names]
            await send(message)
        await self.app(scope, receive, send_with)


async def read_form(request: Request, limit: int = MAX_BODY) -> dict[str, str]:
    """The urlencoded form of a POST (first value of each field), at most ``limit`` bytes.

    Raises:
        HTTPException: 413 for a larger body, 400 for a body that is not UTF-8.
        ClientDisconnect: the browser went away mid-request (the caller writes nothing).
    """
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, "Request too large.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "The form could not be read.") from None
    return {k: v[0] for k, v in fields.items()}


def create_app(room: Room, token: str, *, join_url: Callable[[Session], str], anonymous: bool = False,
               join_limit: int = 20, join_window: float = 60.0) -> Starlette:
    """The application serving ``room``.

    Args:
        token: the facilitator's secret (compared in constant time on every facilitator route).
        join_url: the address participants use for a session (printed and shown as a QR code).
        anonymous: the debrief shows "Participant 1"... instead of names.
    """
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    limiter = JoinLimiter(join_limit, join_window)
    ex = room.ex

    def page(name: str, status: int = 200, **data: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(ex=ex, e=ex.exercise, **data), status)

    def facilitator(request: Request, form: Optional[dict[str, str]] = None) -> None:
        """403 unless the request carries the token (cookie; and in the form for an action)."""
        given = request.cookies.get(FAC_COOKIE, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(403, "This page is for the facilitator.")
        if form is not None and not hmac.compare_digest(form.get("token", "").encode(), token.encode()):
            raise HTTPException(403, "This action is for the facilitator.")

    def session_of(request: Request) -> Session:
        session = room.get(request.path_params["sid"])
        if session is None:
            raise HTTPException(404, "No such session.")
        return session

    def participant_cookie(session: Session) -> str:
        return f"scaleup_{session.sid}"

    folder = str(Path(ex.name).parent)
    folder = "" if folder == "." else folder.rstrip("/") + "/"

    @functools.lru_cache(maxsize=None)
    def reveal(qid: str) -> tuple[str, Explanation, list[tuple[str, str, Optional[str]]]]:
        """The engine's answer, its explanation four levels deep (file lines without folders:
        the room sees the exercise, not the facilitator's disk), and the sources it cites."""
        asked = ex.question(qid)
        why = explain_key(asked.question, str(asked.key), ex.step_of(asked))
        kept: list[Line] = []
        for line in reversed([line for line in why.lines if line.depth <= 4]):
            if line.text.endswith(":") and not (kept and kept[-1].depth > line.depth):
                continue                   # its details are deeper than shown: leave out the heading too
            kept.append(dataclasses.replace(line, text=line.text.replace(folder, "")) if folder else line)
        lines = tuple(reversed(kept))
        short = Explanation(lines, why.criteria)
        return asked.label(str(asked.key)), short, sources(ex.ruleset, short.rules)

    def inject_view(session: Session, step: int) -> dict[str, Any]:
        s = ex.steps[step]
        data = s.loaded.document.data if step == 0 else s.inject.patch
        return {"step": s, "figures": figure_rows(data), "updates": step > 0, "number": step + 1,
                "count": len(ex.steps), "questions": session.questions(step),
                "locked": step in session.locked, "revealed": step in session.revealed}

    async def home(request: Request) -> Response:
        latest = room.latest()
        if latest is not None:
            return RedirectResponse(f"/s/{latest.sid}/", 303)
        return page("message.html", title="No session", message="There is no exercise running. Ask the facilitator for the link.")

    async def fac_enter(request: Request) -> Response:
        """``/f?token=...`` keeps the token in a cookie; ``/f`` lists the sessions."""
        given = request.query_params.get("token")
        if given is not None:
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise HTTPException(403, "This page is for the facilitator.")
            target = request.query_params.get("next", "/f")
            response = RedirectResponse(target if target.startswith("/s/") or target == "/f" else "/f", 303)
            response.set_cookie(FAC_COOKIE, token, httponly=True, samesite="strict", path="/")
            return response
        facilitator(request)
        sessions = sorted(room.sessions.values(), key=lambda s: (s.created, s.sid), reverse=True)
        return page("sessions.html", sessions=sessions, token=token, summary=summary)

    async def fac_new(request: Request) -> Response:
        form = await read_form(request)
        facilitator(request, form)
        session = room.new()
        return RedirectResponse(f"/s/{session.sid}/f", 303)

    def qr_of(session: Session) -> tuple[str, str]:
        import segno
        url = join_url(session)
        return url, segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#111", light="#fff", omitsize=True)

    async def fac_join(request: Request) -> Response:
        """The join QR code full screen, for the start of the session."""
        facilitator(request)
        session = session_of(request)
        url, qr = qr_of(session)
        return page("qr.html", s=session, url=url, qr=qr, joined=len(session.participants))

    async def fac_view(request: Request) -> Response:
        facilitator(request)
        session = session_of(request)
        url, qr = qr_of(session)
        return page("facilitator.html", s=session, v=inject_view(session, session.step), token=token, url=url, qr=qr,
                    reveal=reveal, live=live_data(session), anonymous=anonymous)

    def live_data(session: Session) -> dict[str, Any]:
        return {"tallies": session.tallies(), "complete": session.complete(),
                "joined": len(session.participants), "changes": session.changes, "stage": session.stage,
                "revealed": session.step in session.revealed}

    async def fac_live(request: Request) -> Response:
        facilitator(request)
        session = session_of(request)
        return page("live.html", s=session, live=live_data(session))

    async def fac_act(request: Request) -> Response:
        form = await read_form(request)
        facilitator(request, form)
        session = session_of(request)
        try:
            session.act(request.path_params["action"])
        except RoomError as exc:
            return page("message.html", 409, title="Not now", message=str(exc), back=f"/s/{session.sid}/f")
        target = f"/s/{session.sid}/debrief" if session.ended and request.path_params["action"] == "end" else f"/s/{session.sid}/f"
        return RedirectResponse(target, 303)

    async def fac_status(request: Request) -> Response:
        facilitator(request)
        return JSONResponse(summary(session_of(request)))

    async def debrief(request: Request) -> Response:
        facilitator(request)
        session = session_of(request)
        text = await run_in_threadpool(lambda: render_html(build(ex, session.sheets(anonymous))))
        return HTMLResponse(text, headers={"content-security-policy": DEBRIEF_CSP})

    async def participant(request: Request) -> Response:
        session = session_of(request)
        p = session.who(request.cookies.get(participant_cookie(session)))
        if p is None:
            return page("join.html", s=session, max_name=MAX_NAME)
        if session.ended:
            scored = [q for q in ex.questions if q.scored]
            right = sum(p.answers.get(q.id, ("",))[0] == q.key for q in scored)
            return page("ended.html", s=session, p=p, right=right, total=len(scored), scored=scored, reveal=reveal)
        return page("participant.html", s=session, p=p, v=inject_view(session, session.step), reveal=reveal,
                    max_text=MAX_TEXT, notice=request.query_params.get("m", ""))

    async def join(request: Request) -> Response:
        session = session_of(request)
        address = request.client.host if request.client else "?"
        if not limiter.allow(address):
            return page("message.html", 429, title="Please wait", message="Too many joins from this device; try again in a minute.",
                        back=f"/s/{session.sid}/")
        form = await read_form(request)
        name = "" if "anonymous" in form else form.get("name", "")
        try:
            _, secret = session.join(name)
        except RoomError as exc:
            return page("message.html", 409, title="Cannot join", message=str(exc))
        response = RedirectResponse(f"/s/{session.sid}/", 303)
        response.set_cookie(participant_cookie(session), secret, httponly=True, samesite="strict",
                            path=f"/s/{session.sid}/", max_age=7 * 24 * 3600)
        return response

    async def answer(request: Request) -> Response:
        session = session_of(request)
        form = await read_form(request)             # a tab closed mid-answer ends here: nothing written
        p = session.who(request.cookies.get(participant_cookie(session)))
        if p is None:
            raise HTTPException(403, "Join the session first.")
        qid = form.get("q", "")
        try:
            # the sheet is written (and synced) in a worker thread: other requests go on meanwhile
            await run_in_threadpool(session.answer, p, qid, form.get("a", ""))
        except RoomError as exc:
            return RedirectResponse(f"/s/{session.sid}/?m={'locked' if 'locked' in str(exc) else 'closed'}", 303)
        return RedirectResponse(f"/s/{session.sid}/#{qid}", 303)

    async def poll(request: Request) -> Response:
        session = session_of(request)
        return JSONResponse({"stage": session.stage})

    async def gone(request: Request, exc: Exception) -> Response:
        return Response(status_code=400)            # the browser went away mid-request: nothing was done

    async def error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return page("message.html", exc.status_code, title="Sorry", message=exc.detail)

    routes = [
        Route("/", home),
        Route("/f", fac_enter),
        Route("/f/new", fac_new, methods=["POST"]),
        Route("/s/{sid}/", participant),
        Route("/s/{sid}/join", join, methods=["POST"]),
        Route("/s/{sid}/answer", answer, methods=["POST"]),
        Route("/s/{sid}/poll", poll),
        Route("/s/{sid}/f", fac_view),
        Route("/s/{sid}/f/live", fac_live),
        Route("/s/{sid}/f/qr", fac_join),
        Route("/s/{sid}/f/status", fac_status),
        Route("/s/{sid}/f/{action}", fac_act, methods=["POST"]),
        Route("/s/{sid}/debrief", debrief),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: error, ClientDisconnect: gone})
    app.add_middleware(Headers)
    app.add_middleware(BodyLimit)
    return app

