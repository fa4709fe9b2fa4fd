"""What the in-process A/B benchmarks share: a child process per source tree, its settings and its group.

``bench/checkin_cpu.py`` and ``bench/read_cpu.py`` run each tree of
``--trees`` in a child process of their own script (``--child TREE``) that
imports the project from that tree, with production settings, and prints one
JSON line of figures. Run as ``python bench/<name>.py``, which puts this
directory on ``sys.path``: they import it as ``trees``.
"""

import json
import os
import secrets
import subprocess
import sys
import uuid
from typing import Any


def environment(prefix: str) -> dict[str, str]:
    """The child's environment; ``DATABASE_URL`` and ``REDIS_URL`` may come from the caller's."""
    defaults = {
        "DJANGO_SETTINGS_MODULE": "hucares.settings.production",
        "ALLOW_CONSOLE_EMAIL": "true",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hucares_cpu",
        "REDIS_URL": "redis://127.0.0.1:6379/8",
        "CHANNEL_LAYER_PREFIX": prefix,
        # Keys of this run only: production refuses any key written in the repository.
        "SECRET_KEY": secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "testserver",
        "RATELIMIT_ENABLE": "false",
        "LOG_LEVEL": "WARNING",
    }
    chosen = {name: os.environ[name] for name in ("DATABASE_URL", "REDIS_URL") if name in os.environ}
    return {**defaults, **chosen, "PATH": os.environ["PATH"]}


def ensure_database(env: dict[str, str]) -> None:
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, check=False)


def run_child(script: str, tree: str, env: dict[str, str], *options: str) -> dict[str, Any]:
    """Run ``script --child tree *options`` and return the JSON of its last line; exits on failure."""
    command = [sys.executable, script, "--child", tree, *options]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{tree}: {result.stderr.strip().splitlines()[-1:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def enter(tree: str) -> None:
    """In the child: import Django from ``tree`` and migrate its database."""
    sys.path.insert(0, tree)
    os.chdir(tree)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def group_of(*, name: str, size: int, username: str) -> Any:
    """The active group ``name`` of ``size`` verified members (``<username><n>``), made on first use."""
    from accounts.models import User
    from groups.models import Group
    from groups.services import group_create, group_join

    group = Group.objects.filter(name=name, is_active=True).first()
    if group is not None:
        return group
    members = [
        User.objects.create_user(
            username=f"{username}{index}",
            email=f"{username}{index}@bench.example",
            password=uuid.uuid4().hex,
            email_verified=True,
        )
        for index in range(size)
    ]
    group = group_create(user=members[0], name=name, max_members=max(size, 2))
    for member in members[1:]:
        group_join(user=member, access_code=group.access_code)
    return group
