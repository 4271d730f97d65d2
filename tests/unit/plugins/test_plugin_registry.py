"""The plugin registry: plugins from entry points (a wheel installed with pip) and from the plugins folder; a plugin
that fails to import or declares itself wrongly is reported with the reason and skipped, and the others load."""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
import subprocess
import sys
import textwrap
import zipfile
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from core.plugins import (
    ENTRY_POINT_GROUP,
    Plugin,
    PluginError,
    PluginSettings,
    Processed,
    load_registry,
)

GOOD = """
from core.plugins import Plugin, Processed


class Shout:
    def process(self, text):
        return Processed(text=text.upper())


PLUGINS = [
    Plugin(name="shout", kind="processor", version="0.3", capabilities={"local": True}, factory=Shout),
]
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o644)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    plugins = tmp_path / "plugins"
    plugins.mkdir(mode=0o755)
    plugins.chmod(0o755)
    return plugins


def test_a_folder_plugin_loads_and_makes_its_object_once(folder: Path) -> None:
    _write(folder, "shout.py", GOOD)
    registry = load_registry(folder=folder, use_entry_points=False)
    assert registry.problems == []
    plugin = registry.get("processor", "shout")
    assert plugin is not None and plugin.version == "0.3" and plugin.local
    made = registry.create("processor", "shout")
    assert made.process("bp stable") == Processed(text="BP STABLE")
    assert registry.create("processor", "shout") is made


def test_a_broken_plugin_is_reported_with_its_reason_and_the_others_load(folder: Path) -> None:
    _write(folder, "a_shout.py", GOOD)
    _write(folder, "b_broken.py", "import a_module_that_is_not_installed\n")
    _write(folder, "c_raises.py", "raise RuntimeError('licence server unreachable')\n")
    _write(folder, "d_no_list.py", "X = 1\n")
    _write(folder, "e_not_a_plugin.py", "PLUGINS = [{'name': 'x'}]\n")
    _write(
        folder,
        "f_no_local.py",
        """
        from core.plugins import Plugin
        PLUGINS = [Plugin(name="cloud", kind="transcriber", version="1.0", capabilities={}, factory=object)]
        """,
    )
    _write(
        folder,
        "g_bad_version.py",
        """
        from core.plugins import Plugin
        PLUGINS = [Plugin(name="v", kind="processor", version="latest", capabilities={"local": True}, factory=object)]
        """,
    )
    _write(
        folder,
        "h_kind_mismatch.py",
        """
        from core.plugins import Plugin
        PLUGINS = [Plugin(name="k", kind="processor", version="1.0", capabilities={"local": True, "tasks": ["x"]},
                          factory=object)]
        """,
    )
    registry = load_registry(folder=folder, use_entry_points=False)
    assert registry.names("processor") == ["shout"]
    reasons = {Path(p.source.removeprefix("plugin file ")).name: p.reason for p in registry.problems}
    assert reasons["b_broken.py"].startswith("failed to import: ModuleNotFoundError")
    assert reasons["c_raises.py"] == "failed to import: RuntimeError: licence server unreachable"
    assert reasons["d_no_list.py"] == "declares itself wrongly: the file has no PLUGINS list"
    assert "expected a core.plugins.Plugin or a list of them, got list" in reasons["e_not_a_plugin.py"]
    assert "capabilities.transcriber.local: Field required" in reasons["f_no_local.py"]
    assert "version: 'latest' is not a version" in reasons["g_bad_version.py"]
    assert "tasks: Extra inputs are not permitted" in reasons["h_kind_mismatch.py"]
    assert len(registry.problems) == 7


def test_local_must_be_said_as_a_boolean(folder: Path) -> None:
    _write(
        folder,
        "p.py",
        """
        from core.plugins import Plugin
        PLUGINS = [Plugin(name="t", kind="transcriber", version="1", capabilities={"local": "yes"}, factory=object)]
        """,
    )
    registry = load_registry(folder=folder, use_entry_points=False)
    assert registry.names("transcriber") == []
    assert "local: Input should be a valid boolean" in registry.problems[0].reason


def test_a_second_plugin_of_the_same_name_does_not_replace_the_first(folder: Path) -> None:
    _write(folder, "a.py", GOOD)
    _write(folder, "b.py", GOOD)
    registry = load_registry(folder=folder, use_entry_points=False)
    assert registry.sources[("processor", "shout")].endswith("a.py")
    assert "processor 'shout' is already registered by plugin file" in registry.problems[0].reason


def test_a_plugin_file_anybody_may_write_is_refused(folder: Path) -> None:
    _write(folder, "shout.py", GOOD).chmod(0o666)
    registry = load_registry(folder=folder, use_entry_points=False)
    assert registry.names("processor") == []
    assert "may be written by any user" in registry.problems[0].reason


def test_a_factory_that_makes_the_wrong_thing_is_an_error_naming_the_plugin(folder: Path) -> None:
    _write(
        folder,
        "p.py",
        """
        from core.plugins import Plugin
        PLUGINS = [Plugin(name="mute", kind="transcriber", version="1", capabilities={"local": True}, factory=dict)]
        """,
    )
    registry = load_registry(folder=folder, use_entry_points=False)
    with pytest.raises(PluginError, match="transcriber 'mute': its factory made a dict, which has no transcribe"):
        registry.create("transcriber", "mute")
    with pytest.raises(PluginError, match="no transcriber plugin named 'nope' \\(registered: mute\\)"):
        registry.create("transcriber", "nope")


def test_the_folder_is_under_intelluxe_home_unless_a_setting_points_elsewhere(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert PluginSettings.from_env({"INTELLUXE_HOME": str(home)}).plugin_folder() == home.resolve() / "plugins"
    other = tmp_path / "elsewhere"
    settings = PluginSettings.from_env({"INTELLUXE_HOME": str(home), "INTELLUXE_PLUGINS_DIR": str(other)})
    assert settings.plugin_folder() == other.resolve()


def test_a_missing_folder_is_no_problem(tmp_path: Path) -> None:
    registry = load_registry(folder=tmp_path / "absent", use_entry_points=False)
    assert registry.plugins == {} and registry.problems == []


def test_the_builtins_come_from_the_entry_points_pyproject_declares(tmp_path: Path) -> None:
    """The installed metadata must list what pyproject.toml declares: a stale install (`pip install -e .` not
    re-run) would silently lose a built-in."""
    import tomllib

    root = Path(__file__).resolve().parents[3]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["entry-points"][ENTRY_POINT_GROUP]
    registry = load_registry(folder=tmp_path / "none")
    from_core = {key: src for key, src in registry.sources.items() if " = core." in src}
    assert {name for _, name in from_core} == set(declared)
    whisper = registry.get("transcriber", "whisper_local")
    assert whisper is not None and whisper.local is True
    assert registry.names("processor") == ["basic_formatter", "medical_formatter", "personal_formatter"]


def test_an_install_without_the_builtin_entry_points_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.plugins

    monkeypatch.setattr(core.plugins, "entry_points", lambda group: [])
    registry = load_registry(folder=tmp_path / "none")
    (problem,) = registry.problems
    assert problem.source == "entry points intelluxe.plugins" and "re-run `pip install -e .`" in problem.reason


def test_an_entry_point_whose_plugin_has_another_name_is_refused(tmp_path: Path) -> None:
    ep = EntryPoint(name="formatter", value="core.plugins.builtin:BASIC_FORMATTER", group=ENTRY_POINT_GROUP)
    missing = EntryPoint(name="gone", value="intelluxe_no_such_module:PLUGIN", group=ENTRY_POINT_GROUP)
    registry = load_registry(folder=tmp_path / "none", eps=[ep, missing])
    assert registry.plugins == {}
    reasons = sorted(p.reason for p in registry.problems)
    assert reasons[0] == "declares itself wrongly: the entry point is 'formatter', the plugin 'basic_formatter'"
    assert reasons[1].startswith("failed to import: ModuleNotFoundError")


def _wheel(out: Path) -> Path:
    """A real wheel of a one-module distribution `intelluxe-plugin-upper` declaring an `intelluxe.plugins` entry
    point, written by hand (the format is a zip with a dist-info), so no build backend is needed offline."""
    module = textwrap.dedent(
        """
        from core.plugins import Plugin, Processed


        class Upper:
            def process(self, text):
                return Processed(text=text.upper())


        UPPER = Plugin(name="upper_case", kind="processor", version="2.0.1", capabilities={"local": True},
                       factory=Upper, summary="test plugin from a wheel")
        """
    )
    info = "intelluxe_plugin_upper-2.0.1.dist-info"
    files = {
        "intelluxe_plugin_upper.py": module,
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: intelluxe-plugin-upper\nVersion: 2.0.1\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[{ENTRY_POINT_GROUP}]\nupper_case = intelluxe_plugin_upper:UPPER\n",
        f"{info}/top_level.txt": "intelluxe_plugin_upper\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    path = out / "intelluxe_plugin_upper-2.0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def test_a_plugin_installed_from_a_wheel_with_pip_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = _wheel(tmp_path)
    target = tmp_path / "site"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    monkeypatch.syspath_prepend(str(target))
    importlib.invalidate_caches()
    registry = load_registry(folder=tmp_path / "none")
    plugin = registry.get("processor", "upper_case")
    assert plugin is not None and plugin.version == "2.0.1"
    assert "(intelluxe-plugin-upper 2.0.1)" in registry.sources[("processor", "upper_case")]
    assert registry.create("processor", "upper_case").process("pulse 72").text == "PULSE 72"
    assert registry.get("transcriber", "whisper_local") is not None  # the built-ins still load beside it
    sys.modules.pop("intelluxe_plugin_upper", None)


def test_a_plugin_declaration_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="lower-case letters"):
        Plugin(name="Bad Name", kind="processor", version="1", capabilities={"local": True}, factory=object)
    with pytest.raises(ValueError, match="capabilities are a transcriber's, but kind is processor"):
        Plugin(
            name="x", kind="processor", version="1", capabilities={"kind": "transcriber", "local": True}, factory=object
        )
