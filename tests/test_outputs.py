"""Output files: what the path names is respected (links, devices, FIFOs), new files get the
umask's permissions, and every OS failure is one located message with exit 1, the old file intact.

No test touches the real /dev/null: FIFOs and links under tmp_path stand in for devices."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.errors import ScaleupError
from scaleup.writeout import open_output, write_atomic

ROOT = Path(__file__).resolve().parent.parent
CYCLONE = str(ROOT / "scenarios" / "cyclone-coastal.yaml")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_output_gets_the_permissions_the_umask_allows(tmp_path: Path) -> None:
    for umask, expected in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        old = os.umask(umask)
        try:
            target = tmp_path / f"out-{umask:o}.txt"
            write_atomic(target, "x\n")
            with open_output(tmp_path / f"rows-{umask:o}.jsonl") as handle:
                handle.write("{}\n")
        finally:
            os.umask(old)
        assert mode_of(target) == expected and mode_of(tmp_path / f"rows-{umask:o}.jsonl") == expected


def test_a_replaced_output_keeps_its_permission_bits(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n" and mode_of(target) == 0o640


def test_a_symbolic_link_to_an_output_stays_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "out.txt"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "latest.txt"
    link.symlink_to(Path("reports") / "out.txt")
    write_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == "reports/out.txt"
    assert real.read_text() == "new\n" and sorted(os.listdir(real.parent)) == ["out.txt"]


def test_a_dangling_link_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest.txt"
    link.symlink_to(tmp_path / "made.txt")
    write_atomic(link, "new\n")
    assert link.is_symlink() and (tmp_path / "made.txt").read_text() == "new\n"


def test_a_hard_linked_output_is_written_in_place_so_every_link_sees_it(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old text, longer than the new one\n")
    os.link(first, second)
    write_atomic(first, "new\n")
    assert second.read_text() == "new\n" and os.stat(first).st_ino == os.stat(second).st_ino


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(10)
    if reader.is_alive():   # the FIFO was replaced: release the reader still waiting on the old one
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)) if stat.S_ISFIFO(os.lstat(fifo).st_mode) else None
    assert got == [b"through the pipe\n"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_a_link_to_a_character_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    """What -o /dev/null does, on a link in tmp_path (the real /dev/null is never touched)."""
    if not os.path.exists(os.devnull) or not stat.S_ISCHR(os.stat(os.devnull).st_mode):
        pytest.skip("no character device /dev/null here")
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    write_atomic(link, "discarded\n")
    assert link.is_symlink() and stat.S_ISCHR(os.stat(link).st_mode) and os.listdir(tmp_path) == ["null"]
    result = run("evaluate", CYCLONE, "-o", str(link))
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_folder_or_socket_as_output_is_refused_with_a_located_message(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(ScaleupError) as caught:
        write_atomic(folder, "x")
    assert str(caught.value) == (f"{folder}: cannot write the file: it is a folder (give the path of a regular "
                                 "file, /dev/null, a character device or a FIFO)")


def test_an_unwritable_path_is_one_located_message_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("I am a file\n")
    result = run("evaluate", CYCLONE, "-o", str(blocker / "out.txt"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == (f"error: {blocker}/out.txt: cannot write the file: Not a directory "
                             "(a part of the path is a file, not a folder: check the path)\n")
    assert blocker.read_text() == "I am a file\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through folder permissions")
def test_a_read_only_folder_is_one_located_message_and_the_old_file_stays(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.txt").write_text("old\n")
    folder.chmod(0o500)
    try:
        result = run("evaluate", CYCLONE, "-o", str(folder / "out.txt"))
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 1 and "Permission denied" in result.stderr and "Traceback" not in result.output
    assert (folder / "out.txt").read_text() == "old\n"


@pytest.mark.parametrize(("name", "command"), [
    ("out.json", ["evaluate", CYCLONE, "-f", "json"]),
    ("grid.csv", ["sweep", CYCLONE, "--vary", "hazard.onset=sudden,gradual", "-j", "1", "--no-progress"]),
])
def test_a_full_disk_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                               command: list[str]) -> None:
    # batch -o: tests/test_batch.py::test_a_full_disk_mid_run_keeps_the_previous_file_and_resume_finishes_the_run
    target = tmp_path / name
    target.write_text("old\n")

    def full(*args: object) -> int:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "write", full)                   # evaluate: one atomic write
    monkeypatch.setattr("scaleup.batch.output.RowWriter.write", full)   # sweep: rows as they come
    result = run(*command, "-o", str(target))
    monkeypatch.undo()
    assert result.exit_code == 1
    assert result.stderr == (f"error: {target}: cannot write the file: No space left on device "
                             "(free some disk space, or write to another disk)\n")
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == [name]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("command", [["evaluate", CYCLONE], ["batch", CYCLONE, "-j", "1"]])
def test_stdout_on_a_full_device_is_one_message_and_exit_1(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "scaleup", *command], stdout=full, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == ("error: <stdout>: cannot write the output: No space left on device "
                                            "(free some space where stdout goes, or write to a file with -o FILE)")
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_batch_rows_to_a_full_device_are_one_message_naming_it() -> None:
    result = run("batch", CYCLONE, "-j", "1", "-o", "/dev/full", "-f", "jsonl", "--no-progress")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == ("error: /dev/full: cannot write the file: No space left on device "
                             "(free some disk space, or write to another disk)\n")
