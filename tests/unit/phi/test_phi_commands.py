"""`intelluxe phi scan --jsonl` and `intelluxe phi redact` as a clinic's scripts call them."""

import json
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
