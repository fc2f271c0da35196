"""``scaleup exercise serve``: a table-top exercise run for a room in the browser.

A facilitator's projector page moves the crisis inject by inject (lock, reveal the engine's
answer with its explanation and citations, next, back, end); participants join from their phones
and answer. Every answer is written at once to the participant's answer sheet in the session's
folder (the format of :mod:`scaleup.exercise.score`), so ``exercise score`` and ``debrief`` work
on a served session, and a restarted server resumes from the folder.

- :mod:`scaleup.room.state`: sessions, participants, answers, and their files;
- :mod:`scaleup.room.app`: the Starlette application (pages, guards, limits);
- :mod:`scaleup.room.serve`: start-up (URLs, QR code, uvicorn).
"""
