"""`intelluxe phi scan --jsonl` and `intelluxe phi redact` as a clinic's scripts call them."""

import json
import select
import subprocess
import sys


def _run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core.cli", "phi", *args], input=stdin, capture_output=True, text=True)


def test_scan_answers_line_for_line_in_order() -> None:
    lines = [{"text": "SSN 219-09-9871 on file"}, {"text": "BP 142/88, HR 72"}, {"text": "call 217-555-0147"}]
    done = _run("scan", "--jsonl", stdin="".join(json.dumps(x) + "\n" for x in lines))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out == [{"spans": [[4, 15, "ssn"]]}, {"spans": []}, {"spans": [[5, 17, "phone"]]}]


def test_scan_reports_a_bad_line_in_place_and_exits_1() -> None:
    done = _run("scan", "--jsonl", stdin='{"text": "ok"}\n{"txt": "219-09-9871"}\n{"text": "x"}\n')
    out = done.stdout.splitlines()
    assert done.returncode == 1
    assert len(out) == 3 and "error" in json.loads(out[1]) and "219-09-9871" not in out[1]


def test_scan_needs_jsonl() -> None:
    done = _run("scan", stdin="")
    assert done.returncode == 1 and "--jsonl" in done.stderr


def test_redact() -> None:
    done = _run("redact", stdin="Jane Doe called from 217-555-0147.\n")
    assert done.returncode == 0
    assert done.stdout == "[NAME] called from [PHONE].\n"


def test_scan_with_workers_answers_each_line_before_the_next_is_written() -> None:
    """A caller that keeps the scanner open and waits for each answer (a co-process) must not stall."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "phi", "scan", "--jsonl", "--jobs", "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for text, spans in (
            ("SSN 219-09-9871", [[4, 15, "ssn"]]),
            ("BP 142/88", []),
            ("call 217-555-0147", [[5, 17, "phone"]]),
        ):
            proc.stdin.write(json.dumps({"text": text}) + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, "no answer within 30 s: the scanner waits for more input before answering"
            assert json.loads(proc.stdout.readline()) == {"spans": spans}
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_scan_refuses_fewer_than_one_job() -> None:
    done = _run("scan", "--jsonl", "--jobs", "0", stdin="")
    assert done.returncode == 1 and "--jobs" in done.stderr
