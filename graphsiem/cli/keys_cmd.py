"""``graphsiem keys``: create, list and revoke API keys in ``<data>/state.sqlite``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from graphsiem.api.services.keys import key_name_problem
from graphsiem.api.state import Role, StateStore
from graphsiem.cli.arguments import DATA_HELP, STATE_MARKS, data_dir_problem
from graphsiem.cli.not_applicable import refuse
from graphsiem.model import epoch_to_iso
from graphsiem.settings import Settings
from ingest.report import printable


def _state(args: argparse.Namespace) -> StateStore | None:
    """The key store of ``--data`` (else GRAPHSIEM_DATA, as ``serve`` reads it); None, with the
    reason on stderr, when listing or revoking would read a data directory that holds no keys."""
    if args.keys_action != "create":
        problem = data_dir_problem(args.data, STATE_MARKS)
        if problem is not None:
            print(f"graphsiem keys {args.keys_action}: {problem}", file=sys.stderr)
            return None
    elif args.data is not None and not str(args.data).strip():
        print("graphsiem keys create: --data is empty", file=sys.stderr)
        return None
    settings = Settings() if args.data is None else Settings(data_dir=args.data)
    return StateStore(settings.state_path)


def _create(args: argparse.Namespace) -> int:
    problem = key_name_problem(args.name or "")
    if problem is not None:
        print(f"graphsiem keys create: --name: {problem}", file=sys.stderr)
        return 2
    state = _state(args)
    if state is None:
        return 2
    try:
        record, secret = state.create_key(role=args.role, name=args.name or "")
    finally:
        state.close()
    # The secret is printed once, alone on stdout, so it can be captured by a
    # script; the description goes to stderr.
    print(f"created {record.role.value} key {record.id} ({record.name}); "
          "store it now, it is not shown again:", file=sys.stderr)
    print(secret)
    return 0


def _list(args: argparse.Namespace) -> int:
    state = _state(args)
    if state is None:
        return 2
    try:
        keys = state.list_keys()
    finally:
        state.close()
    rows: list[dict[str, Any]] = [{"id": k.id, "name": k.name, "role": k.role.value,
             "created_at": epoch_to_iso(k.created_at), "revoked_at": epoch_to_iso(k.revoked_at)}
            for k in keys]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':<14} {'role':<8} {'created':<25} {'revoked':<25} name")
    for row in rows:
        # Names made before they were checked (or written to the database by
        # other means) may still hold escapes: shown, never obeyed.
        print(f"{row['id']:<14} {row['role']:<8} {row['created_at']:<25} "
              f"{row['revoked_at'] or '-':<25} {printable(row['name'])}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    state = _state(args)
    if state is None:
        return 2
    try:
        found = state.revoke_key(args.id)
    finally:
        state.close()
    if not found:
        print(f"graphsiem keys revoke: no key with id {args.id!r}", file=sys.stderr)
        return 1
    print(f"revoked key {args.id}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``keys create|list|revoke``."""
    parser = subparsers.add_parser("keys", help="manage API keys (stored hashed)")
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", default=None, help=DATA_HELP + "; its state.sqlite holds the keys")
    refuse(data, "--store", "the keys are in --data's state.sqlite, whichever graph store the data directory feeds")
    create = actions.add_parser("create", parents=[data], help="create a key and print it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", default="", help="a label for the audit trail")
    create.set_defaults(func=_create)
    listing = actions.add_parser("list", parents=[data], help="list keys (never the secrets)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    revoke = actions.add_parser("revoke", parents=[data], help="revoke a key by id")
    revoke.add_argument("id")
    revoke.set_defaults(func=_revoke)
