from pathlib import Path

import pytest

from core.stack import ServiceStatus, Stack, StackError


def _write(root: Path, text: str) -> None:
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "stack.yml").write_text(text)
    (root / "a.conf").write_text('image="x"\n')
    (root / "b.conf").write_text('image="x"\n')


def test_project_stack_loads_in_dependency_order() -> None:
    root = Path(__file__).resolve().parents[2]
    stack = Stack.load(root)
    names = [e.name for e in stack.services]
    assert names == [
        "payer-sandbox",
        "insurance-verify",
        "billing",
        "compliance",
        "console",
        "audio-receiver",
        "agentcare-mcp",
    ]
    assert [e.name for e in stack.infrastructure] == ["postgres", "redis"]
    assert all(e.conf.is_file() for e in (*stack.infrastructure, *stack.services))


def test_a_dependency_listed_after_its_user_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "services:\n  - {name: b, conf: b.conf, needs: [a]}\n  - {name: a, conf: a.conf}\n")
    with pytest.raises(StackError, match=r"services\[0\] \(b\) needs \['a'\], which must be listed before it"):
        Stack.load(tmp_path)


def test_a_missing_conf_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "services:\n  - {name: a, conf: nope.conf}\n")
    with pytest.raises(StackError, match="nope.conf does not exist"):
        Stack.load(tmp_path)


def test_an_entry_without_conf_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "services:\n  - {name: a}\n")
    with pytest.raises(StackError, match="needs 'name' and 'conf'"):
        Stack.load(tmp_path)


@pytest.mark.parametrize(
    ("ports", "url"),
    [
        ("8003:8000", "http://127.0.0.1:8003"),
        ("127.0.0.1:5432:5432,1:1", "http://127.0.0.1:5432"),
        ("9000:90/udp", "http://127.0.0.1:9000"),
        ("-", "-"),
    ],
)
def test_service_url_is_the_first_published_port(ports: str, url: str) -> None:
    assert ServiceStatus("s", "docker", "running", "healthy", ports, "log").url == url


def test_host_processes_are_named_by_their_tls_url() -> None:
    """`intelluxe up` runs every host process with the clinic's certificate (core.tls)."""
    assert ServiceStatus("billing", "local", "running", "healthy", "8004:8000", "-").url == "https://localhost:8004"


def test_the_receiver_is_named_by_its_tls_url() -> None:
    status = ServiceStatus("audio-receiver", "local", "running", "healthy", "8443:8443", "-")
    assert status.url == "https://localhost:8443"


@pytest.mark.parametrize(
    ("state", "health", "ok"),
    [("running", "healthy", True), ("running", "none", True), ("running", "unhealthy", False), ("stopped", "-", False)],
)
def test_ok_means_running_and_healthy(state: str, health: str, ok: bool) -> None:
    assert ServiceStatus("s", "local", state, health, "-", "-").ok is ok
