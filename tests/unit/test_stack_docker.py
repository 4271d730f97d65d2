"""The docker backend's preparation without an engine: secrets.env read as the runner reads it, the owner's URL from
postgres.conf, and the files written for containers (modes, contents, in place)."""

import os
from pathlib import Path

import pytest

from core import stack_docker
from core.config import Settings
from core.stack_docker import DockerStackError

ROOT = Path(__file__).resolve().parents[2]


def _secrets(home: Path, text: str, mode: int = 0o600) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "secrets.env").write_text(text)
    (home / "secrets.env").chmod(mode)


def test_secrets_env_is_data_and_the_first_line_of_a_name_wins(tmp_path: Path) -> None:
    _secrets(tmp_path, "# comment\n\nPOSTGRES_PASSWORD=a=b $(rm -rf /)\nPOSTGRES_PASSWORD=second\nX=\n")
    assert stack_docker.secrets_env(tmp_path) == {"POSTGRES_PASSWORD": "a=b $(rm -rf /)", "X": ""}
    assert stack_docker.secret_value(tmp_path, {"POSTGRES_PASSWORD": "from-env"}, "POSTGRES_PASSWORD") == "from-env"
    with pytest.raises(DockerStackError, match="^X has no value: export it or add X=... to"):
        stack_docker.secret_value(tmp_path, {}, "X")


def test_a_secrets_file_others_may_read_is_refused(tmp_path: Path) -> None:
    _secrets(tmp_path, "POSTGRES_PASSWORD=p\n", mode=0o644)
    with pytest.raises(DockerStackError, match="mode 644; it holds secrets"):
        stack_docker.secrets_env(tmp_path)


def test_the_owner_url_comes_from_the_committed_postgres_conf(tmp_path: Path) -> None:
    _secrets(tmp_path, "POSTGRES_PASSWORD=s3cret-pass\n")
    owner = stack_docker.owner_database(ROOT / "services/user/postgres/postgres.conf", tmp_path, {})
    assert (owner.host, owner.port, owner.user, owner.dbname) == ("127.0.0.1", 5432, "intelluxe", "intelluxe")
    assert owner.shown() == "postgresql://intelluxe@127.0.0.1:5432/intelluxe"  # what the operator sees
    assert "s3cret-pass" in owner.url() and "s3cret-pass" not in owner.shown()


def test_a_postgres_conf_without_a_published_port_is_refused_with_the_fix(tmp_path: Path) -> None:
    conf = tmp_path / "postgres.conf"
    conf.write_text('image="pg"\nenv="POSTGRES_USER=u"\n')
    with pytest.raises(DockerStackError, match='publishes no port for 5432.*port="127.0.0.1:5432:5432"'):
        stack_docker.owner_database(conf, tmp_path, {"POSTGRES_PASSWORD": "p"})


def _certs(folder: Path) -> Path:
    folder.mkdir()
    for name in ("cert.pem", "key.pem", "ca.pem", "ca.key"):
        (folder / name).write_text(f"-- {name} --\n")
    return folder


def test_container_secrets_hold_what_the_confs_mount_and_never_the_ca_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings.from_env({"INTELLUXE_HOME": str(home), "INTELLUXE_MASTER_KEY": "mk"})
    folder = stack_docker.write_container_secrets(settings, _certs(tmp_path / "certs"), "ilx_token")
    assert folder == home / "container-secrets"
    assert (folder.stat().st_mode & 0o777) == 0o700
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == ["master-key", "service-token", "tls/ca.pem", "tls/cert.pem", "tls/key.pem"]
    assert (folder / "service-token").read_text() == "ilx_token\n"
    assert (folder / "master-key").read_text() == "mk\n"
    as_root = os.geteuid() == 0
    mode = (folder / "service-token").stat().st_mode & 0o777
    assert mode == (0o400 if as_root else 0o444)
    if as_root:
        assert (folder / "service-token").stat().st_uid == stack_docker.CONTAINER_UID


def test_a_new_token_is_written_in_place_so_a_mounted_file_sees_it(tmp_path: Path) -> None:
    settings = Settings.from_env({"INTELLUXE_HOME": str(tmp_path / "home"), "INTELLUXE_MASTER_KEY": "mk"})
    certs = _certs(tmp_path / "certs")
    folder = stack_docker.write_container_secrets(settings, certs, "ilx_old")
    inode = (folder / "service-token").stat().st_ino
    stack_docker.write_container_secrets(settings, certs, "ilx_new")
    assert (folder / "service-token").read_text() == "ilx_new\n"
    assert (folder / "service-token").stat().st_ino == inode  # a bind mount is the inode
