"""The ``rolegate`` command: serve, migrate, seed, token."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import sys
import uuid
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rolegate.cli_explain import explain_command
from rolegate.config import get_settings
from rolegate.rbac.durations import InvalidDurationError, parse_ms_duration
from rolegate.runtime import Runtime, run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(
    help="rolegate: Infisical, VMware CSP and ctrl-hub role APIs over one PostgreSQL store.",
    no_args_is_help=True,
    add_completion=False,
)
token_app = typer.Typer(
    help="Mint a credential for a seeded principal (for curl).", no_args_is_help=True
)
app.add_typer(token_app, name="token")
app.command("explain")(explain_command)


def demo_seed_path() -> Path:
    return Path(str(resources.files("rolegate") / "demo" / "seed.yaml"))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _remember_seed(runtime: Runtime) -> None:
    """In test mode, keep the store as seeded: what POST /_rolegate/reset puts back."""
    if runtime.settings.test_mode:
        from rolegate.rbac.testmode import snapshots

        run(runtime.in_transaction(lambda session: snapshots.take(session, snapshots.SEED)))


def _seed(runtime: Runtime, path: Path) -> dict[str, int]:
    """Load ``path``; on an invalid file say why and exit 1 (nothing was written)."""
    # Imported here, like the services below: `rolegate serve` imports this module, and
    # its start to /readyz is timed (docs/performance.md).
    from rolegate.seed.loader import SeedError, load_seed, read_seed_file

    try:
        seed = read_seed_file(path)
        return run(
            runtime.in_transaction(lambda session: load_seed(session, seed, runtime.settings))
        )
    except SeedError as exc:
        typer.echo(f"seed failed, nothing was written: {exc}", err=True)
        raise typer.Exit(code=1) from exc


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    runtime = Runtime(get_settings())
    run(runtime.migrate())
    typer.echo("migrations: at head")


@app.command()
def seed(
    file: Annotated[
        Path, typer.Argument(help="Seed file (YAML or JSON); 'demo' for the bundled demo.")
    ],
) -> None:
    """Load a seed file (idempotent; an invalid file writes nothing)."""
    path = demo_seed_path() if str(file) == "demo" else file
    runtime = Runtime(get_settings())
    run(runtime.migrate())
    counts = _seed(runtime, path)
    _remember_seed(runtime)
    typer.echo("seeded: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    seed_file: Annotated[
        Path | None, typer.Option("--seed", help="Load this seed file before serving.")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load the bundled demo seed before serving.")] = False,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply pending migrations first.")
    ] = True,
) -> None:
    """Serve the HTTP API (embedded PostgreSQL unless ROLEGATE_DATABASE_URL is set)."""
    # Imported here: the other commands need neither gunicorn nor uvicorn.
    from rolegate import serving

    settings = get_settings()
    bind_host = host or settings.host
    if settings.test_mode and not settings.test_mode_any_host and not _is_loopback(bind_host):
        typer.echo(
            f"test mode lets anyone who reaches the port reset the store and mint tokens;"
            f" refusing to bind {bind_host}. Bind a loopback address, or set"
            " ROLEGATE_TEST_MODE_ANY_HOST=true if the network is the test's own.",
            err=True,
        )
        raise typer.Exit(code=2)
    serving.share_metrics_between_workers(workers)
    seeds = ([demo_seed_path()] if demo else []) + ([seed_file] if seed_file else [])
    runtimes: list[Runtime] = []

    def prepare_database() -> None:
        runtime = Runtime(settings)
        runtimes.append(runtime)
        if migrate_first:
            run(runtime.migrate())
        for path in seeds:
            counts = _seed(runtime, path)
            typer.echo(f"seeded {path.name}: {sum(counts.values())} rows", err=True)
        _remember_seed(runtime)
        # Workers are forked after this: hand them the resolved URL through the environment.
        # (The embedded PostgreSQL this process started is stopped when it exits.)
        os.environ["ROLEGATE_DATABASE_URL"] = runtime.url

    if settings.database_url is None:
        from rolegate.supervision import adopt_orphans

        adopt_orphans()
    serving.prepare_while_importing(prepare_database)
    supervisor = None
    if runtimes[0].embedded is not None:
        from rolegate.supervision import Supervisor

        supervisor = Supervisor(runtimes[0].embedded, log_level=settings.log_level)
        supervisor.start()
    try:
        serving.serve_forever(
            host=bind_host,
            port=port or settings.port,
            workers=workers,
            log_level=settings.log_level,
        )
    finally:
        # Before the exit stops the database: that stop must not be "repaired".
        if supervisor is not None:
            supervisor.stop()


@token_app.command("infisical")
def token_infisical(
    identity: Annotated[str, typer.Option(help="Machine identity id (UUID).")],
) -> None:
    """Print an Infisical access token for a machine identity."""
    try:
        identity_id = uuid.UUID(identity)
    except ValueError:
        typer.echo(f"--identity must be a UUID, got {identity!r}", err=True)
        raise typer.Exit(code=2) from None
    settings = get_settings()
    runtime = Runtime(settings)
    run(runtime.migrate())
    from rolegate.main import token_codec  # the whole API: only the token commands need it
    from rolegate.rbac.errors import IdentityNotFoundError
    from rolegate.rbac.infisical import universal_auth as auth_service
    from rolegate.rbac.testmode import clock

    codec = token_codec(settings)
    try:

        async def mint(session: AsyncSession) -> auth_service.InfisicalLogin:
            now = await clock.now(session, simulated=settings.test_mode)
            return await auth_service.mint_identity_token(session, codec, identity_id, now)

        login = run(runtime.in_transaction(mint))
    except IdentityNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    sys.stdout.write(login.token.token + "\n")


@token_app.command("ctrlhub")
def token_ctrlhub(
    user: Annotated[str, typer.Option(help="The user's email address.")],
    org: Annotated[
        str | None, typer.Option(help="Organization id or slug (when the email is in several).")
    ] = None,
    ttl: Annotated[
        str | None,
        typer.Option(
            help="Lifetime, e.g. 12h or 30d; 'never' for no expiry"
            " (default ROLEGATE_AUTH__CTRLHUB_SESSION_TTL seconds)."
        ),
    ] = None,
) -> None:
    """Mint a ctrl-hub session token for a user (stored hashed; printed once)."""
    settings = get_settings()
    lifetime: dt.timedelta | None = None
    if ttl is None:
        lifetime = dt.timedelta(seconds=settings.auth.ctrlhub_session_ttl)
    elif ttl != "never":
        try:
            lifetime = dt.timedelta(milliseconds=parse_ms_duration(ttl))
        except InvalidDurationError as exc:
            typer.echo(f"--ttl: {exc}", err=True)
            raise typer.Exit(code=2) from exc
    from rolegate.rbac.ctrlhub import sessions as session_tokens
    from rolegate.rbac.errors import NotFoundError
    from rolegate.rbac.testmode import clock

    runtime = Runtime(settings)
    run(runtime.migrate())
    try:

        async def mint(session: AsyncSession) -> session_tokens.MintedSession:
            now = await clock.now(session, simulated=settings.test_mode)
            return await session_tokens.mint(session, email=user, org=org, ttl=lifetime, now=now)

        minted = run(runtime.in_transaction(mint))
    except NotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    sys.stdout.write(minted.token + "\n")


@token_app.command("csp")
def token_csp(
    user: Annotated[str, typer.Option(help="The user's e-mail address.")],
    org: Annotated[
        str | None, typer.Option(help="Organization id, when the e-mail is in several orgs.")
    ] = None,
) -> None:
    """Print a CSP access token for a user (send it as csp-auth-token)."""
    settings = get_settings()
    runtime = Runtime(settings)
    run(runtime.migrate())
    from rolegate.main import token_codec  # the whole API: only the token commands need it
    from rolegate.rbac.csp import auth as csp_auth
    from rolegate.rbac.testmode import clock

    codec = token_codec(settings)
    try:

        async def mint(session: AsyncSession) -> csp_auth.CspGrant:
            now = await clock.now(session, simulated=settings.test_mode)
            return await csp_auth.mint_for_email(
                session, codec, user, org=org, ttl=settings.auth.csp_token_ttl, now=now
            )

        grant = run(runtime.in_transaction(mint))
    except csp_auth.UserNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    sys.stdout.write(grant.access_token + "\n")


@app.command()
def audit(
    since: Annotated[
        str, typer.Option(help="A duration ago (1h, 30m, 7d) or an ISO 8601 timestamp.")
    ] = "1h",
    org: Annotated[str | None, typer.Option(help="Only this organization (UUID).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many events.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show audit events, newest first: time, surface, actor, action, target, before → after."""
    from rolegate.cli_audit import print_events

    try:
        org_id = uuid.UUID(org) if org else None
    except ValueError:
        typer.echo(f"--org must be a UUID, got {org!r}", err=True)
        raise typer.Exit(code=2) from None
    runtime = Runtime(get_settings())
    try:
        print_events(runtime, since=since, org_id=org_id, limit=limit, as_json=as_json)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc


if __name__ == "__main__":  # pragma: no cover
    app()
