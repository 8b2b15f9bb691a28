#!/usr/bin/env python3
"""Alembic's autogenerate on the schema of `migrate-bench --autogenerate`.

The peer figures of docs/performance.md, "Autogenerate on a large schema".
It needs Alembic, SQLAlchemy and psycopg2:

    python3 -m venv /tmp/alembic-venv
    /tmp/alembic-venv/bin/pip install alembic sqlalchemy psycopg2-binary

`migrate-bench --autogenerate --alembic /tmp/alembic-venv/bin/python` runs
it on each database it builds. To run it alone on an empty database, pass
--create, which builds the tables with `MetaData.create_all`:

    /tmp/alembic-venv/bin/python migrate-bench/peers/alembic_autogenerate.py \\
        --url sqlite:///tmp/t.db --tables 500 --runs 5 --create

--url takes the URL the `migrate` binary takes (postgres://… or
sqlite:///abs/path); postgres:// is read with psycopg2.

The MetaData describes the same N tables as `declared` in
migrate-bench/src/autogen.rs, table by table: `id` primary key (BIGINT on
PostgreSQL, INTEGER on SQLite), `name TEXT NOT NULL`, `parent_id` with a
foreign key to the previous table `ON DELETE CASCADE`, `created_at` with a
server default (`now()` / `CURRENT_TIMESTAMP`), the named CHECK
`t<i>_name_len` and the index `t<i>_name`. Alembic's defaults apply
(`compare_type` on, `compare_server_default` off; Alembic does not compare
CHECK constraints). The table `migrate_history` (the `migrate` project's
history, which shares the database) is left out with `include_name`, as
Alembic leaves out its own `alembic_version`.

Measured, as the median of --runs runs, each on a new engine
(`NullPool`) whose connection is open before the clock starts:

* metadata: building the MetaData (the counterpart of parsing schema.sql);
* reflect: `MetaData.reflect` of the whole database, a reference for
  SQLAlchemy's own reflection (compare_metadata reflects by itself);
* check: building the MetaData, `MigrationContext.configure` and
  `compare_metadata`: what `alembic check` spends once connected;
* autogenerate: the MetaData with a `note TEXT` column added to every table,
  `produce_migrations` and `render_python_code`: what `alembic revision
  --autogenerate` spends once connected;
* cli_check, cli_check_changes, cli_revision: the `alembic` command end to
  end (`python -m alembic`, process start to exit) in a scratch project made
  by `alembic init` whose env.py builds the same MetaData: `check` on the
  identical schema, `check` with the added columns (exits 1), and
  `revision --autogenerate` with the added columns (the revision written is
  removed after each run).

It prints `key<TAB>value` lines on stdout (times in seconds) and progress on
stderr. `peak_rss_kb` is this process's peak RSS, `cli_peak_rss_kb` the
largest of the `alembic` command's (from `/usr/bin/time -f %M`). `noise` is the number of differences compare_metadata reports on the
identical schema (0 when the comparison is exact), `noise_examples` the first
of them.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

import alembic
import sqlalchemy
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    func,
    pool,
    text,
)

HERE = os.path.dirname(os.path.abspath(__file__))


def sa_url(url):
    """The SQLAlchemy URL of a `migrate` URL."""
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql"):
        return urlunsplit(parts._replace(scheme="postgresql+psycopg2"))
    if parts.scheme == "sqlite":
        # migrate: sqlite://<path> (sqlite:///abs/path); SQLAlchemy:
        # sqlite:///<path> (sqlite:////abs/path).
        return "sqlite:///" + url[len("sqlite://"):]
    raise SystemExit(f"unsupported URL scheme {parts.scheme!r}")


def dialect_of(url):
    return "sqlite" if url.startswith("sqlite") else "postgres"


def build_metadata(dialect, tables, note=False):
    """The declared schema as SQLAlchemy Table objects."""
    if dialect == "postgres":
        int_type, ts_type, now = BigInteger, DateTime(timezone=True), func.now()
    else:
        int_type, ts_type, now = Integer, Text, text("CURRENT_TIMESTAMP")
    md = MetaData()
    for i in range(tables):
        parent = max(i - 1, 0)
        columns = [
            Column("id", int_type, primary_key=True, autoincrement=False),
            Column("name", Text, nullable=False),
        ]
        if note:
            columns.append(Column("note", Text))
        columns += [
            Column("parent_id", int_type, ForeignKey(f"t{parent}.id", ondelete="CASCADE")),
            Column("created_at", ts_type, server_default=now),
        ]
        Table(
            f"t{i}",
            md,
            *columns,
            CheckConstraint("length(name) < 100", name=f"t{i}_name_len"),
            Index(f"t{i}_name", "name"),
        )
    return md


def include_name(name, type_, parent_names):
    """Leaves out `migrate_history`, the table of the `migrate` project that
    shares the database (as Alembic leaves out its own `alembic_version`)."""
    return not (type_ == "table" and name == "migrate_history")


def connected(url):
    """A new engine and an open connection that has run SELECT 1."""
    engine = create_engine(sa_url(url), poolclass=pool.NullPool)
    conn = engine.connect()
    conn.exec_driver_sql("SELECT 1").fetchall()
    return engine, conn


def close(engine, conn):
    conn.close()
    engine.dispose()


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


ENV_PY = '''\
"""env.py of the scratch project of alembic_autogenerate.py."""
import os
import sys

from alembic import context
from sqlalchemy import create_engine, pool

sys.path.insert(0, os.environ["ALEMBIC_BENCH_DIR"])
import alembic_autogenerate as peer  # noqa: E402

url = os.environ["ALEMBIC_BENCH_URL"]
target_metadata = peer.build_metadata(
    peer.dialect_of(url),
    int(os.environ["ALEMBIC_BENCH_TABLES"]),
    note=os.environ.get("ALEMBIC_BENCH_NOTE") == "1",
)
engine = create_engine(peer.sa_url(url), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=peer.include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
'''


def cli(project, url, tables, note, args):
    env = dict(os.environ)
    env.update(
        ALEMBIC_BENCH_DIR=HERE,
        ALEMBIC_BENCH_URL=url,
        ALEMBIC_BENCH_TABLES=str(tables),
        ALEMBIC_BENCH_NOTE="1" if note else "0",
        # env.py imports this file: no __pycache__ next to it.
        PYTHONDONTWRITEBYTECODE="1",
    )
    # Peak RSS from /usr/bin/time: RUSAGE_CHILDREN would count this
    # process's own pages in the forked child.
    rss_file = os.path.join(project, "rss.txt")
    timer = ["/usr/bin/time", "-f", "%M", "-o", rss_file] if os.path.exists("/usr/bin/time") else []
    started = time.perf_counter()
    out = subprocess.run(
        [*timer, sys.executable, "-m", "alembic", *args],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    try:
        with open(rss_file) as f:
            out.rss_kb = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        out.rss_kb = None
    return elapsed, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--create", action="store_true", help="build the tables first")
    parser.add_argument("--no-cli", action="store_true", help="skip the alembic command runs")
    args = parser.parse_args()
    url, n = args.url, args.tables
    dialect = dialect_of(url)
    out = {}

    if args.create:
        engine, conn = connected(url)
        build_metadata(dialect, n).create_all(conn)
        conn.commit()
        close(engine, conn)

    times = {k: [] for k in ("metadata", "reflect", "check", "autogenerate")}
    noise = []
    for k in range(args.runs):
        print(f"alembic {dialect} {n} tables: run {k + 1}/{args.runs}", file=sys.stderr)
        t, _ = timed(lambda: build_metadata(dialect, n))
        times["metadata"].append(t)

        engine, conn = connected(url)
        t, reflected = timed(lambda: MetaData().reflect(bind=conn, only=lambda name, _: name != "migrate_history"))
        times["reflect"].append(t)
        close(engine, conn)

        engine, conn = connected(url)

        def check():
            md = build_metadata(dialect, n)
            mc = MigrationContext.configure(conn, opts={"include_name": include_name})
            return compare_metadata(mc, md)

        t, diffs = timed(check)
        times["check"].append(t)
        noise = diffs
        close(engine, conn)

        engine, conn = connected(url)

        def autogenerate():
            md = build_metadata(dialect, n, note=True)
            mc = MigrationContext.configure(conn, opts={"include_name": include_name})
            script = produce_migrations(mc, md)
            return render_python_code(script.upgrade_ops)

        t, code = timed(autogenerate)
        times["autogenerate"].append(t)
        close(engine, conn)
        added = code.count("op.add_column(")
        if added != n:
            raise SystemExit(f"autogenerate rendered {added} add_column for {n} tables")

    for key, values in times.items():
        out[key] = statistics.median(values)
    out["noise"] = len(noise)
    if noise:
        out["noise_examples"] = repr(noise[:3])[:300]

    if not args.no_cli:
        cli_times = {k: [] for k in ("cli_check", "cli_check_changes", "cli_revision")}
        cli_rss = []
        project = tempfile.mkdtemp(prefix="alembic-bench-")
        try:
            subprocess.run(
                [sys.executable, "-m", "alembic", "init", "alembic"],
                cwd=project,
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
            with open(os.path.join(project, "alembic", "env.py"), "w") as f:
                f.write(ENV_PY)
            versions = os.path.join(project, "alembic", "versions")
            for k in range(args.runs):
                print(f"alembic {dialect} {n} tables: command run {k + 1}/{args.runs}", file=sys.stderr)
                t, res = cli(project, url, n, False, ["check"])
                if res.returncode != 0 and not noise:
                    raise SystemExit(f"alembic check failed:\n{res.stdout}\n{res.stderr}")
                out["cli_check_exit"] = res.returncode
                cli_times["cli_check"].append(t)
                cli_rss.append(res.rss_kb)

                t, res = cli(project, url, n, True, ["check"])
                if res.returncode == 0 or "New upgrade operations detected" not in res.stderr + res.stdout:
                    raise SystemExit(f"alembic check found nothing:\n{res.stdout}\n{res.stderr}")
                cli_times["cli_check_changes"].append(t)
                cli_rss.append(res.rss_kb)

                t, res = cli(project, url, n, True, ["revision", "--autogenerate", "-m", "add note"])
                if res.returncode != 0:
                    raise SystemExit(f"alembic revision failed:\n{res.stdout}\n{res.stderr}")
                cli_times["cli_revision"].append(t)
                cli_rss.append(res.rss_kb)
                written = [f for f in os.listdir(versions) if f.endswith(".py")]
                if len(written) != 1:
                    raise SystemExit(f"alembic revision wrote {written}")
                with open(os.path.join(versions, written[0])) as f:
                    added = f.read().count("op.add_column(")
                if added != n:
                    raise SystemExit(f"the revision holds {added} add_column for {n} tables")
                os.remove(os.path.join(versions, written[0]))
        finally:
            shutil.rmtree(project, ignore_errors=True)
        for key, values in cli_times.items():
            out[key] = statistics.median(values)
        measured = [kb for kb in cli_rss if kb is not None]
        if measured:
            out["cli_peak_rss_kb"] = max(measured)

    out["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["versions"] = (
        f"alembic {alembic.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"Python {sys.version.split()[0]}"
    )
    for key, value in out.items():
        print(f"{key}\t{value}")


if __name__ == "__main__":
    main()
