"""The console's pure pieces: the SVG chart, the PHI span marking, the session keys and the password hashes."""

from __future__ import annotations

import re

import pytest

from console.chart import Series, bar_chart, nice_ceiling
from console.phi_pages import mark_spans
from console.sessions import csrf_matches, csrf_of, session_hash
from core.console_users import check_password, hash_password


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (11, 20), (180, 200), (501, 1000)])
def test_axis_top_is_a_round_number_at_least_the_value(value: int, top: int) -> None:
    assert nice_ceiling(value) == top


def test_bar_chart_draws_one_bar_per_day_scaled_to_the_axis() -> None:
    days = [
        {"day": f"2026-11-{d:02d}", "accesses": a, "not_successful": n}
        for d, a, n in ((1, 10, 2), (2, 0, 0), (3, 5, 5))
    ]
    svg = str(bar_chart(days, Series("accesses", "Accesses", "not_successful", "Refused"), "c1"))
    heights = [float(h) for h in re.findall(r'class="bar" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)]
    assert len(heights) == 3 and heights[1] == 0 and heights[0] == pytest.approx(2 * heights[2])
    assert svg.count('class="bar-part"') == 2  # days with refusals only
    assert 'role="img"' in svg and '<title id="c1-title">Accesses per day</title>' in svg
    assert "15 in all, most on 2026-11-01 (10)" in svg
    assert "style=" not in svg and "<script" not in svg


def test_bar_chart_of_nothing() -> None:
    assert "No data." in str(bar_chart([], Series("alerts", "Alerts"), "c2"))


def test_marked_spans_escape_the_text() -> None:
    text = "<b>Ann Lee</b> called"
    marked = str(mark_spans(text, [{"type": "name", "start": 3, "end": 10}, {"type": "name", "start": 5, "end": 8}]))
    assert marked.startswith("&lt;b&gt;<mark") and "Ann Lee" in marked and "[name]" in marked
    assert marked.count("<mark") == 1 and "<b>" not in marked
    assert str(mark_spans("abc", [{"type": "x", "start": 2, "end": 9}])) == "abc"  # a span past the end is ignored


def test_session_keys_and_csrf() -> None:
    sid = "a" * 43
    assert session_hash(sid) != session_hash("b" * 43) and len(session_hash(sid)) == 64
    assert csrf_matches(csrf_of(sid), csrf_of(sid))
    assert not csrf_matches(csrf_of(sid), csrf_of("b" * 43)) and not csrf_matches(csrf_of(sid), None)
    assert not csrf_matches(csrf_of(sid), "")


def test_password_hash_round_trip_and_malformed_hashes() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("scrypt$16384$8$5$")
    assert check_password("a long enough password", stored)
    assert not check_password("a long enough passworD", stored)
    assert hash_password("a long enough password") != stored  # salted
    for bad in ("", "scrypt$x", "md5$1$2$3$4$5", "scrypt$16384$8$5$!!$!!"):
        assert not check_password("anything", bad)
