"""The command line: ``flask --app wsgi <command>`` (API.md)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import audit, backup, benchdata, config_review, demo, reference, storage, stored_files
from . import config as config_module
from .admin import services as admin_services
from .agreements import reminders as agreement_reminders
from .assets import reminders as asset_reminders
from .audit_export import export as export_audit
from .auth import services as auth_services
from .contracts import jobs as contract_jobs
from .db import database_problem, init_db, write_intent
from .errors import DomainError
from .exchange.commands import import_rates_command
from .extensions import db
from .identity.commands import sync_directory_command
from .models import Role
from .notifications import mail
from .purchasing import ageing
from .retention import prune
from .scim.commands import issue_scim_token_command
from .totals import verify_totals_command
from .webhooks import delivery as webhook_delivery


def init_app(app: Flask) -> None:
    # Plain click commands added to app.cli get no application context of their
    # own (only the ``flask`` script pushes one), so each command asks for it with
    # @with_appcontext: they then work however they are invoked.
    for command in (
        init_db_command,
        create_user_command,
        issue_token_command,
        verify_audit_command,
        verify_totals_command,
        backup_command,
        restore_command,
        migrate_storage_command,
        seed_demo_command,
        seed_bench_command,
        send_reminders_command,
        send_notifications_command,
        prune_command,
        export_audit_command,
        check_config_command,
        issue_scim_token_command,
        sync_directory_command,
        import_rates_command,
    ):
        app.cli.add_command(command)


def _fail(exc: DomainError) -> click.ClickException:
    details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.fields.items())
    return click.ClickException(details or exc.message)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the schema (idempotent)."""
    init_db(current_app)
    click.echo("The database is up to date.")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--name", required=True, help="The person's name.")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option(
    "--department", "department_code", required=True, help="Department code; created if missing."
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="Repeat for several.",
)
def create_user_command(
    email: str, name: str, password: str, department_code: str, roles: tuple[str, ...]
) -> None:
    """Create a user (and their department, if it does not exist yet)."""
    with write_intent():
        try:
            department = reference.department_by_code(department_code)
            if department is None:
                department = reference.create_department(
                    department_code, department_code.upper(), actor=None
                )
            user = admin_services.create_user(
                email,
                name=name,
                password=password,
                department=department,
                roles=admin_services.parse_roles(roles),
                actor=None,
            )
        except DomainError as exc:
            db.session.rollback()
            raise _fail(exc) from None
        db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(roles))}) in {department.code}.")


@click.command("issue-token")
@with_appcontext
@click.argument("email")
@click.option("--name", default="issued on the command line", help="What the token is for.")
def issue_token_command(email: str, name: str) -> None:
    """Print a new API token for EMAIL on stdout, nothing else."""
    with write_intent():
        user = auth_services.find_user_by_email(email)
        if user is None or not user.active:
            raise click.ClickException(f"No active user {email}.")
        _token, secret = auth_services.create_token(user, name, actor=user)
        db.session.commit()
    click.echo(secret)


@click.command("verify-audit")
@with_appcontext
@click.option(
    "--in-python",
    is_flag=True,
    help="Hash every event in this process rather than in PostgreSQL (slower; relies "
    "on nothing of the database but its rows).",
)
def verify_audit_command(in_python: bool) -> None:
    """Prove the audit chain intact and every stored file (uploads, purchase-order
    PDFs) unchanged; or name the first bad event and each bad file, and exit 1."""

    result = audit.verify(in_python=in_python)
    files = stored_files.check()
    summary = (
        f"{files.files} stored file{'s' if files.files != 1 else ''}, "
        f"{files.orders} order PDF{'s' if files.orders != 1 else ''}"
    )
    if result.ok and files.ok:
        click.echo(f"ok {result.count} events")
        click.echo(f"ok {summary}")
        return
    if result.ok:
        click.echo(f"the audit chain holds ({result.count} events)", err=True)
    else:
        click.echo(
            f"audit chain broken at event {result.bad_event_id}: {result.reason} "
            f"({result.count} events verified before it)",
            err=True,
        )
    for problem in files.problems:
        click.echo(f"stored file does not match: {problem}", err=True)
    if files.ok:
        click.echo(f"every stored file matches its hash ({summary})", err=True)
    sys.exit(1)


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup_command(file: Path, force: bool) -> None:
    """Write the database (SQLite: online backup; PostgreSQL: pg_dump) and every stored
    file it refers to into FILE, one gzipped tar file; safe while people work."""

    try:
        report = backup.create(file, overwrite=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up the {report.kind} database ({report.audit_events} audit events) and "
        f"{report.files} stored files to {report.path} ({report.size / 1048576:.1f} MB)."
    )
    if report.missing:
        for sha256 in report.missing:
            click.echo(f"missing from the attachments folder: {sha256}", err=True)
        click.echo(
            f"{len(report.missing)} stored files are missing: the backup lacks them too.",
            err=True,
        )
        sys.exit(1)


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(file: Path, force: bool) -> None:
    """Replace the configured database with the one in backup FILE and put its stored
    files back, then bring the schema up to date. Stop the app servers first."""

    try:
        report = backup.restore(file, force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Restored the {report.kind} database of {report.created_at} "
        f"({report.audit_events} audit events) and {report.files} stored files. "
        "Check it with verify-audit."
    )


@click.command("migrate-storage")
@with_appcontext
@click.option("--to", "target_url", required=True, metavar="URL", help="file:///… or s3://…")
def migrate_storage_command(target_url: str) -> None:
    """Copy every stored file to the storage at URL, checking each hash; re-runnable."""
    try:
        target = storage.from_url(target_url)
        report = storage.migrate(
            storage.current(), target, on_copy=lambda sha256: click.echo(f"copied {sha256}")
        )
    except (ValueError, storage.StorageUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    for problem in report.problems:
        click.echo(f"not copied: {problem}", err=True)
    click.echo(
        f"copied {len(report.copied)}, already there {len(report.kept)}, "
        f"failed {len(report.problems)} to {target.url}"
    )
    if not report.ok:
        sys.exit(1)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo organisation (idempotent) and print its logins."""

    with write_intent():
        logins = demo.seed_all()
        db.session.commit()
    click.echo("Demo organisation ready. Sign in at /login with any of these:")
    width = max(len(email) for email, _, _ in logins)
    for email, password, roles in logins:
        click.echo(f"  {email:<{width}}  {password}  ({roles})")


@click.command("seed-bench")
@with_appcontext
@click.option(
    "--requests",
    "request_count",
    required=True,
    type=click.IntRange(1, 5_000_000),
    help="Purchase requests to generate (1 to 5,000,000).",
)
@click.option("--vendors", default=5000, show_default=True, type=click.IntRange(10, 100_000))
@click.option("--departments", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option(
    "--seed", "seed_value", default=1, show_default=True, help="Seed of the random generator."
)
def seed_bench_command(
    request_count: int, vendors: int, departments: int, seed_value: int
) -> None:
    """Fill an empty, initialised database with five years of generated history, fast
    (for benchmarks), and print what it wrote and the fixed logins."""

    try:
        benchdata.check_database()  # before the progress bar: a refusal is all that is printed
        db.session.rollback()
        with click.progressbar(length=request_count, label="Generating requests") as bar:
            summary = benchdata.seed(
                request_count,
                vendors=vendors,
                departments=departments,
                seed=seed_value,
                progress=bar.update,
            )
    except benchdata.SeedRefused as exc:
        raise click.ClickException(str(exc)) from None
    for line in summary.report():
        click.echo(line)


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Queue contract-renewal reminders that are due; roll auto-renewing contracts
    forward and expire ended ones; remind the deciders of overdue approval steps
    (once a day); tell the asset managers of warranties ending uncovered (once per
    asset); expire ended framework agreements and tell procurement of those ending
    within 30 days or 80 % consumed (once each). Safe to run on several hosts, and
    often."""

    report = contract_jobs.run()
    click.echo(f"renewed {report.renewed}, expired {report.expired}, reminded {report.reminded}")
    overdue = ageing.remind()
    click.echo(f"approval steps overdue {overdue.steps}, deciders reminded {overdue.reminded}")
    warranties = asset_reminders.run()
    click.echo(
        f"warranties ending uncovered {warranties.assets}, "
        f"asset managers reminded {warranties.recipients}"
    )
    agreements = agreement_reminders.run()
    click.echo(
        f"agreements expired {agreements.expired}, agreement reminders {agreements.reminded}"
    )


@click.command("send-notifications")
@with_appcontext
@click.option(
    "--batch-size",
    default=50,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Messages claimed and sent per SMTP connection.",
)
def send_notifications_command(batch_size: int) -> None:
    """Deliver pending notifications by SMTP, then webhooks; safe to run on several
    hosts at once.

    Prints "sent N, failed M, waiting K", then "webhooks: delivered N, failed M,
    waiting K" when there were any; exits 1 when a message could not be sent (it stays
    queued, and the next run tries again). A receiver that fails does not: its log on
    the endpoint's page says so, and it is retried on its own schedule."""

    try:
        report = mail.send_pending(batch_size=batch_size)
    except mail.SmtpConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(report.summary)
    hooks = webhook_delivery.send_pending(batch_size=batch_size)
    if hooks.anything:
        click.echo(hooks.summary)
    if report.failed:
        sys.exit(1)


@click.command("prune")
@with_appcontext
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows deleted per transaction.",
)
def prune_command(batch_size: int) -> None:
    """Delete ended sessions, stale sign-in attempts and delivered notifications older
    than PROCURE_RETENTION_DAYS (90), in batches; print "removed N <kind>" per kind.
    The audit log is never pruned."""
    for removed in prune(days=current_app.config["PROCURE_RETENTION_DAYS"], batch_size=batch_size):
        click.echo(removed.line())


@click.command("export-audit")
@with_appcontext
@click.option(
    "--from",
    "start",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The first day (UTC), YYYY-MM-DD.",
)
@click.option(
    "--to",
    "end",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The last day (UTC), included.",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_audit_command(start: dt.datetime, end: dt.datetime, force: bool, file: Path) -> None:
    """Write the audit events of a period to FILE as JSON lines: a header carrying the
    hash before the first event, then every event with its hash, so that an auditor can
    check the chain offline (docs/operations.md)."""
    if start > end:
        raise click.BadParameter("must not be after --to.", param_hint="--from")
    if file.exists() and not force:
        raise click.ClickException(f"{file} exists; add --force to replace it.")
    partial = file.with_name(file.name + ".part")
    try:
        with partial.open("w", encoding="utf-8") as out:
            report = export_audit(out, start.date(), end.date())
        partial.replace(file)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {file}: {exc.strerror}") from None
    if report.count:
        span = f"events {report.first_id} to {report.last_id}"
    else:
        span = "no events"
    click.echo(f"exported {report.count} events ({span}) to {file}")
    click.echo(f"hash before the first {report.prev_hash}")
    click.echo(f"hash of the last {report.last_hash}")


@click.command("check-config")
def check_config_command() -> None:
    """Print the effective settings (secrets masked) and every problem; exit 1 when one
    would stop Procure from starting. Reads the environment, as the server does."""
    instance = Path(
        os.environ.get("PROCURE_INSTANCE_PATH")
        or Path(__file__).resolve().parent.parent / "instance"
    ).resolve()
    settings, problems, advice = config_review.review(os.environ, instance)
    values, _ = config_module.read_environment(os.environ)
    url = config_module.normalise_database_url(
        values.get("SQLALCHEMY_DATABASE_URI") or "sqlite:///" + str(instance / "procure.db")
    )
    missing = {problem.setting for problem in problems}
    if not {"PROCURE_DATABASE_URL", "PROCURE_DB_POOL_SIZE", "PROCURE_DB_MAX_OVERFLOW"} & missing:
        options = config_module.engine_options(
            {**vars(config_module.Config), **values, "SQLALCHEMY_DATABASE_URI": url}
        )
        problem, hint = database_problem(url, options)
        problems += [config_module.ConfigError("PROCURE_DATABASE_URL", problem)] if problem else []
        advice += [f"PROCURE_DATABASE_URL: {hint}"] if hint else []
    if "PROCURE_STORAGE_URL" not in missing:
        storage_url = values.get("PROCURE_STORAGE_URL") or (instance / "attachments").as_uri()
        for problem in storage.check(storage_url):
            message = problem.removeprefix("PROCURE_STORAGE_URL: ").removeprefix(
                "PROCURE_STORAGE_URL="
            )
            problems.append(config_module.ConfigError("PROCURE_STORAGE_URL", message))
    click.echo("Settings:")
    width = max(len(name) for name, _value in settings)
    click.echo("\n".join(f"  {name.ljust(width)}  {value}" for name, value in settings))
    click.echo("Problems:" if problems else "Problems: none")
    click.echo("".join(f"  {problem}\n" for problem in problems), nl=False)
    click.echo("".join(f"Advice: {line}\n" for line in advice), nl=False)
    if problems:
        sys.exit(1)


def check_config_app() -> Flask:
    """A bare app that carries only ``check-config``: what ``wsgi`` gives the command when
    the configuration stops Procure itself from starting, so every problem is named."""
    app = Flask("procure")
    app.cli.add_command(check_config_command)
    return app
