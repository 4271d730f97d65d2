import io
import json

from core.phi.cli import redact_stream, scan_jsonl


def run_scan(lines: list[str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    status = scan_jsonl(io.StringIO("".join(line + "\n" for line in lines)), out)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_scan_jsonl_answers_each_line_in_order() -> None:
    status, rows = run_scan(
        [
            json.dumps({"text": "PT JOHN SMITH SEEN BY DR PATEL"}),
            json.dumps({"text": "BP 142/88"}),
            json.dumps({"text": "DOB 03/14/1962, MRN 00123456", "id": 7}),
        ]
    )
    assert status == 0
    assert rows == [
        {"spans": [[3, 13, "name"], [25, 30, "name"]]},
        {"spans": []},
        {"spans": [[4, 14, "date_of_birth"], [20, 28, "medical_record"]]},
    ]


def test_scan_jsonl_bad_lines_get_an_error_in_place_and_exit_1() -> None:
    status, rows = run_scan(
        [
            json.dumps({"text": "SSN 219-45-6789"}),
            "not json at all",
            "",
            json.dumps([1, 2]),
            json.dumps({"text": 5}),
            json.dumps({"body": "John Smith"}),
            json.dumps({"text": "Call (312) 555-0187"}),
        ]
    )
    assert status == 1
    assert len(rows) == 7
    assert rows[0] == {"spans": [[4, 15, "ssn"]]}
    for number, row in enumerate(rows[1:6], start=2):
        assert set(row) == {"error"}
        assert row["error"].startswith(f"line {number}: ")
    assert rows[6] == {"spans": [[5, 19, "phone"]]}
    assert "John" not in json.dumps(rows), "error messages must not echo the input"


def test_scan_jsonl_offsets_are_code_points() -> None:
    status, rows = run_scan([json.dumps({"text": "Zoë → Dr. Patel"}, ensure_ascii=False)])
    assert status == 0
    assert rows == [{"spans": [[10, 15, "name"]]}]


def test_redact_stream_placeholders_and_paragraphs() -> None:
    out = io.StringIO()
    text = "Patient:\nJohn Smith\n\nSSN 219-45-6789\nBP 142/88\n"
    assert redact_stream(io.StringIO(text), out, False) == 0
    assert out.getvalue() == "Patient:\n[NAME]\n\nSSN [SSN]\nBP 142/88\n"


def test_redact_stream_surrogates_are_consistent_across_paragraphs() -> None:
    out = io.StringIO()
    redact_stream(io.StringIO("Mr. Smith called.\n\nMr. Smith called again.\n"), out, True, key=b"k")
    first, _, second = out.getvalue().splitlines()
    assert first.removesuffix(" called.") == second.removesuffix(" called again.")
    assert "Smith" not in out.getvalue()


def test_scan_jsonl_with_workers_answers_as_one_process_does() -> None:
    lines = [
        json.dumps({"text": f"Seen by Dr. Patel on 03/{day:02d}/2024, call 217-555-01{day:02d}"})
        for day in range(1, 29)
    ]
    lines[5] = "not json"
    lines[17] = json.dumps({"text": None})
    answers = []
    for jobs in (1, 2):
        out = io.StringIO()
        status = scan_jsonl(io.StringIO("".join(line + "\n" for line in lines)), out, jobs=jobs)
        answers.append((status, out.getvalue()))
    assert answers[0] == answers[1]
    status, text = answers[1]
    rows = [json.loads(line) for line in text.splitlines()]
    assert status == 1 and len(rows) == 28
    assert rows[5]["error"].startswith("line 6: ") and rows[17]["error"].startswith("line 18: ")
    assert rows[27] == {"spans": [[12, 17, "name"], [21, 31, "date"], [38, 50, "phone"]]}
