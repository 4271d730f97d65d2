"""`intelluxe console-user`: the web console's user accounts (core.console_users). The password is read from a
prompt (twice) or, with --password-stdin, from the first line of stdin — never from the command line, where `ps`
and the shell's history would show it."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from core.cli.common import database, fail

if TYPE_CHECKING:
    from core.config import Settings


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n") or None
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("intelluxe: the two passwords differ", file=sys.stderr)
        return None
    return first


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from core import console_users

    password = _password(args)
    if password is None:
        return fail("no password given")
    with database(settings) as db:
        try:
            account = console_users.add_account(db, args.name, args.role, password)
        except console_users.AccountError as exc:
            return fail(str(exc))
    print(f"console account {account.name!r} (role {account.role.value}) added")
    return 0


def cmd_passwd(args: argparse.Namespace, settings: Settings) -> int:
    from core import console_users

    password = _password(args)
    if password is None:
        return fail("no password given")
    with database(settings) as db:
        try:
            console_users.set_password(db, args.name, password)
        except console_users.AccountError as exc:
            return fail(str(exc))
    print(f"password of {args.name!r} changed")
    return 0


def cmd_disable(args: argparse.Namespace, settings: Settings) -> int:
    from core import console_users

    with database(settings) as db:
        try:
            console_users.disable_account(db, args.name)
        except console_users.AccountError as exc:
            return fail(str(exc))
    print(f"console account {args.name!r} disabled; its sessions ended")
    return 0


def cmd_enable(args: argparse.Namespace, settings: Settings) -> int:
    from core import console_users

    with database(settings) as db:
        try:
            console_users.enable_account(db, args.name)
        except console_users.AccountError as exc:
            return fail(str(exc))
    print(f"console account {args.name!r} enabled")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from core import console_users

    with database(settings) as db:
        accounts = console_users.list_accounts(db)
    print(f"{'NAME':<24} {'ROLE':<11} {'CREATED':<17} {'PASSWORD SET':<17} STATE")
    for a in accounts:
        created, changed = f"{a.created_at:%Y-%m-%d %H:%M}", f"{a.password_set_at:%Y-%m-%d %H:%M}"
        print(f"{a.name:<24} {a.role.value:<11} {created:<17} {changed:<17} {a.state}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = sub.add_parser("console-user", help="the web console's user accounts").add_subparsers(
        dest="console_user_command", required=True
    )
    p = users.add_parser("add", help="make an account (password from a prompt, or --password-stdin)")
    p.add_argument("name", help="lower-case letters, digits, '_', '.', '-'; starts with a letter")
    p.add_argument(
        "--role",
        required=True,
        choices=["compliance", "billing", "admin"],
        help="what the person sees: compliance (alerts, audit, PHI scan), billing (claims, payments), admin (all)",
    )
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.set_defaults(func=cmd_add)
    p = users.add_parser("passwd", help="set an account's password")
    p.add_argument("name", help="the account")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.set_defaults(func=cmd_passwd)
    p = users.add_parser("disable", help="disable an account and end its sessions")
    p.add_argument("name", help="the account")
    p.set_defaults(func=cmd_disable)
    p = users.add_parser("enable", help="enable a disabled account")
    p.add_argument("name", help="the account")
    p.set_defaults(func=cmd_enable)
    p = users.add_parser("list", help="list the accounts (never their passwords)")
    p.set_defaults(func=cmd_list)
