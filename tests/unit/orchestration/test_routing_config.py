"""config/agent_routing.yml: the shipped file is valid; an unknown key, a wrong type, an unregistered plugin, a
non-local transcriber for sensitive audio, or a switch for something not built is an error naming the key — through
the loader and through `intelluxe router check`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cli import main
from core.orchestration import NOT_IMPLEMENTED, RoutingConfig, RoutingConfigError, load_routing, validate_routing
from core.plugins import Plugin, PluginProblem, PluginRegistry, load_registry

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "config" / "agent_routing.yml"


def _registry(*, cloud: bool = False) -> PluginRegistry:
    registry = load_registry(folder=ROOT / "no-such-folder")
    if cloud:
        registry.add(
            Plugin(name="cloud_asr", kind="transcriber", version="1", capabilities={"local": False}, factory=object),
            "test",
        )
        registry.add(
            Plugin(name="cloud_text", kind="processor", version="1", capabilities={"local": False}, factory=object),
            "test",
        )
    return registry


def _problems(raw: Any, registry: PluginRegistry | None = None) -> list[str]:
    with pytest.raises(RoutingConfigError) as caught:
        validate_routing(raw, registry or _registry(), "routing.yml")
    return caught.value.problems


def test_the_shipped_file_is_valid_and_says_what_runs_today() -> None:
    config = load_routing(SHIPPED, _registry())
    assert config == RoutingConfig()  # the defaults are today's behaviour, and the file spells them out
    raw = yaml.safe_load(SHIPPED.read_text())
    assert set(raw) == set(RoutingConfig.model_fields)
    for section, model in RoutingConfig.model_fields.items():
        assert set(raw[section]) == set(model.annotation.model_fields), section  # type: ignore[union-attr]


@pytest.mark.parametrize("dotted", sorted(NOT_IMPLEMENTED))
def test_each_switch_without_an_implementation_is_refused_naming_its_key(dotted: str) -> None:
    section, key = dotted.split(".")
    wrong = "advanced" if NOT_IMPLEMENTED[dotted].honest == "simple" else True
    (problem,) = _problems({section: {key: wrong}})
    assert problem.startswith(f"{dotted}: ")
    assert "is refused: " in problem and NOT_IMPLEMENTED[dotted].why in problem


def test_an_unknown_key_is_named_by_its_path() -> None:
    assert _problems({"transcription": {"voting_treshold": 3}}) == [
        "transcription.voting_treshold: unknown key (the known ones are in docs/agent-orchestration-roadmap.md)"
    ]
    assert _problems({"experiments": {}})[0].startswith("experiments: unknown key")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"transcription": {"voting_enabled": "yes"}}, "transcription.voting_enabled: Input should be a valid boolean"),
        ({"transcription": {"voting_threshold": 1}}, "transcription.voting_threshold: Input should be greater than"),
        ({"transcription": {"sensitive": 3}}, "transcription.sensitive: Input should be a valid string"),
        ({"reasoning": {"confidence_threshold": 1.5}}, "reasoning.confidence_threshold: Input should be less than"),
        ({"agent_selection": {"selection_strategy": "vibes"}}, "agent_selection.selection_strategy: Input should be"),
        ({"transcription": ["whisper_local"]}, "transcription: Input should be"),
    ],
)
def test_a_wrong_type_is_an_error_not_a_coercion(raw: dict[str, Any], expected: str) -> None:
    assert _problems(raw)[0].startswith(expected)


def test_an_unregistered_plugin_is_named_with_what_is_registered() -> None:
    assert _problems({"post_processing": {"medical_reports": "soap_llm"}}) == [
        "post_processing.medical_reports: 'soap_llm' is not a registered processor "
        "(registered: basic_formatter, medical_formatter, personal_formatter)"
    ]
    # a name of the wrong kind is not registered as this kind
    assert "is not a registered transcriber" in _problems({"transcription": {"default": "basic_formatter"}})[0]


def test_an_unknown_name_says_why_a_plugin_of_that_name_was_skipped() -> None:
    registry = _registry()
    registry.problems.append(PluginProblem("plugin file /srv/plugins/fast_asr.py", "failed to import: ImportError: x"))
    (problem,) = _problems({"transcription": {"non_sensitive": "fast_asr"}}, registry)
    assert problem.endswith(
        "a plugin of that name was skipped: plugin file /srv/plugins/fast_asr.py: failed to import: ImportError: x"
    )


def test_sensitive_and_unclassified_audio_never_go_to_a_non_local_transcriber() -> None:
    registry = _registry(cloud=True)
    assert _problems({"transcription": {"sensitive": "cloud_asr"}}, registry) == [
        "transcription.sensitive: 'cloud_asr' is not a local transcriber, and sensitive audio must never leave this "
        "machine"
    ]
    assert (
        "audio whose class is not given is treated as sensitive"
        in _problems({"transcription": {"default": "cloud_asr"}}, registry)[0]
    )
    config = validate_routing({"transcription": {"non_sensitive": "cloud_asr"}}, registry)
    assert config.transcription.non_sensitive == "cloud_asr"


def test_processors_must_be_local() -> None:
    (problem,) = _problems({"post_processing": {"default": "cloud_text"}}, _registry(cloud=True))
    assert problem.startswith("post_processing.default: 'cloud_text' is not a local processor")


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(
        {
            "transcription": {"voting_enabled": True, "voting_threshold": 9, "sensitive": "nope"},
            "orchestration": {"multi_agent_enabled": True},
        }
    )
    assert [p.split(":")[0] for p in problems] == [
        "orchestration.multi_agent_enabled",
        "transcription.sensitive",
        "transcription.voters",
    ]


def test_voters_must_be_registered_local_distinct_and_enough() -> None:
    registry = _registry(cloud=True)
    problems = _problems(
        {
            "transcription": {
                "voting_enabled": True,
                "voting_threshold": 5,
                "voters": ["whisper_fp32", "cloud_asr", "whisper_fp32", "whisper_local", "nope"],
            }
        },
        registry,
    )
    assert problems == [
        "transcription.voters[1]: 'cloud_asr' is not a local transcriber, and voting runs on sensitive audio too",
        "transcription.voters[2]: 'whisper_fp32' is already voting (a transcriber votes once)",
        "transcription.voters[3]: 'whisper_local' is already voting (a transcriber votes once)",
        "transcription.voters[4]: 'nope' is not a registered transcriber (registered: cloud_asr, whisper_fast, "
        "whisper_fp32, whisper_greedy, whisper_local, whisper_slow)",
    ]
    assert _problems(
        {"transcription": {"voting_enabled": True, "voting_threshold": 4, "voters": ["whisper_fp32"]}}
    ) == ["transcription.voters: voting_threshold 4 needs 3 voters beside the routed transcriber, 1 are listed"]
    on = validate_routing({"transcription": {"voting_enabled": True}}, registry)
    assert on.transcription.voting_threshold == 3


def test_an_empty_file_means_the_defaults_and_a_list_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    assert load_routing(empty, _registry()) == RoutingConfig()
    listed = tmp_path / "list.yml"
    listed.write_text("- transcription\n")
    with pytest.raises(RoutingConfigError, match="expected a mapping of sections, got list"):
        load_routing(listed, _registry())
    with pytest.raises(RoutingConfigError, match="absent.yml: No such file"):
        load_routing(tmp_path / "absent.yml", _registry())


def test_a_key_given_twice_is_refused_not_overridden(tmp_path: Path) -> None:
    twice = tmp_path / "twice.yml"
    twice.write_text("transcription:\n  voting_enabled: true\n  voting_enabled: false\n")
    with pytest.raises(RoutingConfigError, match="key 'voting_enabled' is given twice in one section"):
        load_routing(twice, _registry())


def test_router_check_exits_0_with_one_line_for_a_valid_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INTELLUXE_PLUGINS_DIR", str(tmp_path / "none"))
    assert main(["router", "check", str(SHIPPED)]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    (line,) = out.out.splitlines()
    assert line.startswith(f"{SHIPPED}: valid; transcription: sensitive -> whisper_local (local)")
    assert main(["router", "check"]) == 0  # the project's file by default


def test_router_check_exits_1_with_each_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INTELLUXE_PLUGINS_DIR", str(tmp_path / "none"))
    bad = tmp_path / "bad.yml"
    bad.write_text("reasoning:\n  tree_of_thought_enabled: true\ntranscription:\n  sensitive: cloud_asr\n")
    assert main(["router", "check", str(bad)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [
        f"intelluxe: {bad}: reasoning.tree_of_thought_enabled: true is refused: tree-of-thought reasoning needs a "
        "reasoning language model, and none runs here (only false is implemented)",
        f"intelluxe: {bad}: transcription.sensitive: 'cloud_asr' is not a registered transcriber "
        "(registered: whisper_fast, whisper_fp32, whisper_greedy, whisper_local, whisper_slow)",
    ]


def test_router_check_reports_skipped_plugins_and_still_validates(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text("raise ImportError('needs torch')\n")
    monkeypatch.setenv("INTELLUXE_PLUGINS_DIR", str(plugins))
    assert main(["router", "check", str(SHIPPED)]) == 0
    out = capsys.readouterr()
    assert (
        out.err == f"intelluxe: plugin skipped: plugin file {plugins / 'broken.py'}: "
        "failed to import: ImportError: needs torch\n"
    )
    assert out.out.rstrip().endswith("1 skipped")


def test_a_site_routing_file_is_named_by_intelluxe_routing_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.orchestration import default_routing_path

    assert default_routing_path() == SHIPPED
    site = tmp_path / "routing.yml"
    monkeypatch.setenv("INTELLUXE_ROUTING_FILE", str(site))
    assert default_routing_path() == site
