#!/usr/bin/env bash
# Self-starting PostgreSQL server for the test suite.
#
# Usage:
#   scripts/pg.sh start   start the server if it is not running (idempotent);
#                         prints the admin URL on stdout
#   scripts/pg.sh stop    stop the server (succeeds if it is not running)
#   scripts/pg.sh crash   stop the server as a crash would (`pg_ctl stop -m
#                         immediate`: no checkpoint, sessions cut off; the
#                         next start runs crash recovery)
#   scripts/pg.sh url     print the admin URL on stdout
#
# `start` and `url` print exactly one line on stdout, the connection URL:
#   postgres://migrate:migrate-test-pw@127.0.0.1:<port>/postgres
# Every other message goes to stderr; the server's own log goes to
# <dir>/server.log.
#
# Environment:
#   PG_BINDIR        directory holding initdb/pg_ctl/postgres/psql
#                    (default: highest /usr/lib/postgresql/*/bin)
#   MIGRATE_PG_DIR   base directory (default: <repo root>/target/pg, or
#                    /tmp/migrate-pg-<checksum of the repo path> as root); it holds
#                      data/        the cluster (PGDATA)
#                      sock/        the Unix socket directory
#                      server.log   the server log
#                      pg.lock      flock(1) lock serialising start/stop
#                      tls/         ca.crt, server.crt, server.key (directory
#                                   mode 0700, owned by the server's OS user)
#   MIGRATE_PG_PORT  TCP port on 127.0.0.1 (default: 55432)
#
# When run as root the server runs as the `postgres` OS user (PostgreSQL
# refuses to run as root) and the base directory is owned by postgres.
#
# TLS: `start` creates a test certificate authority and a server certificate
# for 127.0.0.1 and localhost signed by it (openssl CLI, once, in <dir>/tls)
# and turns `ssl` on with ALTER SYSTEM and a configuration reload, so that a
# server already running gets TLS without a restart. Clients choose with
# `sslmode`; to verify, use `sslrootcert=<dir>/tls/ca.crt`, next to the
# file the server reports as `SHOW ssl_cert_file`.

set -euo pipefail

# stdout is reserved for the URL: keep it on fd 3, send everything else to stderr.
exec 3>&1 1>&2

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { printf 'pg.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
    echo "usage: $0 {start|stop|crash|url}" >&2
    exit 2
}

[[ $# -eq 1 ]] || usage
CMD=$1
case "$CMD" in start | stop | crash | url) ;; *) usage ;; esac

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")

if [[ -n ${MIGRATE_PG_DIR:-} ]]; then
    BASE_DIR=$(realpath -m -- "$MIGRATE_PG_DIR")
elif [[ $(id -u) -eq 0 ]]; then
    # As root the server runs as `postgres`, which may not be able to reach a
    # checkout under /root: keep the cluster in /tmp, one per checkout.
    BASE_DIR=/tmp/migrate-pg-$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)
else
    BASE_DIR=$REPO_ROOT/target/pg
fi
PGDATA_DIR="$BASE_DIR/data"
SOCK_DIR="$BASE_DIR/sock"
LOG_FILE="$BASE_DIR/server.log"
LOCK_FILE="$BASE_DIR/pg.lock"
PORT="${MIGRATE_PG_PORT:-55432}"

ROLE=migrate
# Test-only credentials; never echoed by this script except inside the URL.
ROLE_PW=migrate-test-pw
BOOTSTRAP_USER=postgres

[[ $PORT =~ ^[0-9]+$ ]] || die "MIGRATE_PG_PORT must be a number, got '$PORT'"

# Work from a directory every user can read, so that the server tools do not
# trip over an inaccessible current directory when run via runuser.
cd /

# The port the running server actually listens on (line 4 of postmaster.pid),
# falling back to the configured one.
actual_port() {
    local p=""
    if [[ -r $PGDATA_DIR/postmaster.pid ]]; then
        p=$(sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
    fi
    if [[ $p =~ ^[0-9]+$ ]]; then echo "$p"; else echo "$PORT"; fi
}

print_url() {
    printf 'postgres://%s:%s@127.0.0.1:%s/postgres\n' "$ROLE" "$ROLE_PW" "$1" >&3
}

if [[ $CMD == url ]]; then
    print_url "$(actual_port)"
    exit 0
fi

# ---------------------------------------------------------------- binaries --

find_bindir() {
    if [[ -n ${PG_BINDIR:-} ]]; then
        [[ -x $PG_BINDIR/pg_ctl ]] || die "PG_BINDIR=$PG_BINDIR does not contain an executable pg_ctl"
        echo "$PG_BINDIR"
        return
    fi
    local best="" d
    # Highest major version first (sort -V handles 9.6 < 10 < 15 < 16).
    while IFS= read -r d; do
        if [[ -x $d/bin/pg_ctl && -x $d/bin/initdb && -x $d/bin/postgres ]]; then
            best="$d/bin"
            break
        fi
    done < <(ls -d /usr/lib/postgresql/*/ 2>/dev/null | sed 's:/*$::' | sort -V -r)
    if [[ -z $best ]]; then
        cat >&2 <<'EOF'
pg.sh: error: no PostgreSQL server binaries found in /usr/lib/postgresql/*/bin.
pg.sh: install them with:
pg.sh:     apt-get update && apt-get install -y postgresql
pg.sh: or point PG_BINDIR at a directory containing initdb, pg_ctl, postgres and psql.
EOF
        exit 1
    fi
    echo "$best"
}

BINDIR=$(find_bindir)
for tool in initdb pg_ctl postgres psql pg_isready; do
    [[ -x $BINDIR/$tool ]] || die "$BINDIR/$tool is missing or not executable"
done

# ------------------------------------------------------------------- users --

if [[ $(id -u) -eq 0 ]]; then
    AS_ROOT=1
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user (apt-get install -y postgresql creates it)"
    command -v runuser >/dev/null 2>&1 || die "running as root but runuser(1) is not available"
else
    AS_ROOT=0
fi

# Run a server tool as the OS user that owns the cluster.
as_owner() {
    if [[ $AS_ROOT -eq 1 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

mkdir -p "$BASE_DIR"
if [[ $AS_ROOT -eq 1 ]]; then
    if [[ $(stat -c %U "$BASE_DIR") != postgres ]]; then
        chown -R postgres:postgres "$BASE_DIR"
    fi
    runuser -u postgres -- test -w "$BASE_DIR" -a -x "$BASE_DIR" ||
        die "the postgres OS user cannot write to $BASE_DIR (check the permissions of its parent directories, or set MIGRATE_PG_DIR)"
fi

# Unix socket paths are limited to ~107 bytes.
if (( ${#SOCK_DIR} + 20 > 107 )); then
    die "socket directory path $SOCK_DIR is too long for a Unix socket; set MIGRATE_PG_DIR to a shorter path"
fi

# -------------------------------------------------------------------- lock --

# Serialise start/stop across processes (e.g. several test binaries starting
# at once must not both run initdb).
exec 9>>"$LOCK_FILE"
if ! flock -w 120 9; then
    die "timed out waiting for the lock $LOCK_FILE"
fi

# ----------------------------------------------------------------- helpers --

is_running() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] || return 1
    as_owner "$BINDIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

is_ready() {
    "$BINDIR/pg_isready" -q -h "$SOCK_DIR" -p "$(actual_port)" -U "$BOOTSTRAP_USER" -d postgres >/dev/null 2>&1
}

show_log_tail() {
    if [[ -r $LOG_FILE ]]; then
        echo "pg.sh: ---- last lines of $LOG_FILE ----" >&2
        tail -n 40 "$LOG_FILE" >&2 || true
        echo "pg.sh: ---- end of log ----" >&2
        if tail -n 40 "$LOG_FILE" 2>/dev/null | grep -q 'Address already in use'; then
            echo "pg.sh: hint: port $PORT is taken by another process; set MIGRATE_PG_PORT to a free port" >&2
        fi
    fi
}

psql_owner() {
    # Local socket connections are trusted; -X ignores any ~/.psqlrc.
    as_owner "$BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
        -h "$SOCK_DIR" -p "$(actual_port)" -U "$BOOTSTRAP_USER" -d postgres "$@"
}

# ---------------------------------------------------------------- commands --

do_stop() {
    local mode=${1:-fast}
    if [[ ! -f $PGDATA_DIR/PG_VERSION ]] || ! is_running; then
        log "server is not running (data dir $PGDATA_DIR)"
        return 0
    fi
    log "stopping server in $PGDATA_DIR (mode $mode)"
    if ! as_owner "$BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m "$mode" -w -t 60 >&2; then
        # A server that went away meanwhile (a crash being simulated ends
        # it with a signal first) is stopped, which is what was asked.
        if ! is_running; then
            log "server stopped meanwhile"
            return 0
        fi
        show_log_tail
        die "pg_ctl stop failed"
    fi
}

init_cluster() {
    log "initialising a new cluster in $PGDATA_DIR with $BINDIR/initdb"
    # A half-initialised directory (interrupted initdb) is useless: start over.
    rm -rf "$PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    chmod 700 "$PGDATA_DIR"
    if [[ $AS_ROOT -eq 1 ]]; then chown postgres:postgres "$PGDATA_DIR"; fi

    if ! as_owner "$BINDIR/initdb" -D "$PGDATA_DIR" -U "$BOOTSTRAP_USER" \
        --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-sync >"$BASE_DIR/initdb.log" 2>&1; then
        cat "$BASE_DIR/initdb.log" >&2 || true
        rm -rf "$PGDATA_DIR"
        die "initdb failed"
    fi

    # Test tuning. Port and socket directory live in pg_sh.conf, rewritten at
    # every start so that MIGRATE_PG_PORT / MIGRATE_PG_DIR can change between runs.
    as_owner tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<'EOF'

# ---- added by scripts/pg.sh (test server; durability deliberately off) ----
listen_addresses = '127.0.0.1'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 64MB
max_wal_size = 1GB
log_min_messages = warning
log_line_prefix = '%m [%p] '
include_if_exists = 'pg_sh.conf'
EOF
}

# Single-quote a value for postgresql.conf (embedded quotes are doubled).
conf_quote() {
    local q="'"
    printf "'%s'" "${1//$q/$q$q}"
}

write_runtime_conf() {
    {
        echo "# generated by scripts/pg.sh at every start; do not edit"
        echo "port = $PORT"
        echo "unix_socket_directories = $(conf_quote "$SOCK_DIR")"
        echo "listen_addresses = '127.0.0.1'"
        # Room in the shared lock table for one transaction that creates
        # 10,000 tables with their indexes (the benchmark at N = 10,000 holds
        # about 5 locks per revision; the default 64 per connection is short).
        echo "max_locks_per_transaction = 256"
    } | as_owner tee "$PGDATA_DIR/pg_sh.conf" >/dev/null
}

ensure_role() {
    local exists
    exists=$(psql_owner -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'") ||
        die "could not query roles on the test server"
    if [[ $exists != 1 ]]; then
        log "creating login superuser role '$ROLE'"
        # The statement goes through stdin so the password never appears in
        # a process listing; -q keeps psql from echoing anything.
        printf "CREATE ROLE %s WITH LOGIN SUPERUSER PASSWORD '%s';\n" "$ROLE" "$ROLE_PW" |
            psql_owner -f - >/dev/null || die "could not create role '$ROLE'"
    fi
}

# A test CA and a server certificate signed by it (rustls, like webpki,
# refuses a self-signed CA certificate as the server's own), then `ssl = on`.
# Idempotent; reloads only when a setting changes.
ensure_tls() {
    command -v openssl >/dev/null 2>&1 ||
        die "openssl is needed to create the test server's TLS certificate (apt-get install -y openssl)"
    local tls_dir="$BASE_DIR/tls"
    if ! as_owner test -s "$tls_dir/server.key" -a -s "$tls_dir/server.crt" -a -s "$tls_dir/ca.crt"; then
        log "creating a test CA and server certificate in $tls_dir"
        local tmp
        tmp=$(as_owner mktemp -d "$BASE_DIR/tls.tmp.XXXXXX")
        if ! as_owner sh -c '
            set -e
            cd "$1"
            umask 077
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout ca.key -out ca.crt -days 3650 -subj "/CN=migrate test CA" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign"
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
            printf "%s\n" "basicConstraints=critical,CA:FALSE" \
                "keyUsage=critical,digitalSignature,keyEncipherment" \
                "extendedKeyUsage=serverAuth" \
                "subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
                -days 3650 -extfile server.ext -out server.crt
            rm -f ca.key ca.srl server.csr server.ext
            chmod 600 server.key server.crt ca.crt
        ' sh "$tmp" >"$BASE_DIR/openssl.log" 2>&1; then
            cat "$BASE_DIR/openssl.log" >&2 || true
            as_owner rm -rf "$tmp"
            die "could not create the TLS certificate with openssl"
        fi
        as_owner rm -rf "$tls_dir"
        as_owner mv "$tmp" "$tls_dir"
    fi
    as_owner chmod 700 "$tls_dir"

    # No ssl_ca_file: the server does not ask clients for certificates.
    local cert="$tls_dir/server.crt" key="$tls_dir/server.key" current
    current=$(psql_owner -F '|' -c "SELECT current_setting('ssl'), current_setting('ssl_cert_file'), current_setting('ssl_key_file'), current_setting('ssl_ca_file')") ||
        die "could not read the SSL settings of the test server"
    if [[ $current != "on|$cert|$key|" ]]; then
        log "turning on TLS (ALTER SYSTEM and a reload; no restart)"
        {
            echo "ALTER SYSTEM SET ssl_cert_file = $(conf_quote "$cert");"
            echo "ALTER SYSTEM SET ssl_key_file = $(conf_quote "$key");"
            echo "ALTER SYSTEM RESET ssl_ca_file;"
            echo "ALTER SYSTEM SET ssl = on;"
            echo "SELECT pg_reload_conf();"
        } | psql_owner -f - >/dev/null || die "could not turn on TLS on the test server"
        # The reload is asynchronous: wait until new sessions see it.
        local i
        for i in $(seq 1 100); do
            current=$(psql_owner -F '|' -c "SELECT current_setting('ssl'), current_setting('ssl_cert_file')") || true
            [[ $current == "on|$cert" ]] && break
            sleep 0.1
        done
        [[ $current == "on|$cert" ]] || { show_log_tail; die "the server did not take ssl = on (see the log above)"; }
    fi
}

do_start() {
    if is_running; then
        if is_ready; then
            log "server already running (data dir $PGDATA_DIR, port $(actual_port))"
            ensure_role
            ensure_tls
            print_url "$(actual_port)"
            return 0
        fi
        # Running but not ready yet (e.g. still starting up): wait for it.
        local i
        for i in $(seq 1 60); do
            if is_ready; then break; fi
            sleep 1
        done
        is_ready || { show_log_tail; die "server is running but not accepting connections"; }
        ensure_role
        ensure_tls
        print_url "$(actual_port)"
        return 0
    fi

    if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
        init_cluster
    fi
    write_runtime_conf

    mkdir -p "$SOCK_DIR"
    if [[ $AS_ROOT -eq 1 ]]; then
        chown postgres:postgres "$SOCK_DIR"
        # The log file must be writable by the server's OS user.
        touch "$LOG_FILE"
        chown postgres:postgres "$LOG_FILE"
    fi
    chmod 700 "$SOCK_DIR"

    log "starting server (data dir $PGDATA_DIR, port $PORT, log $LOG_FILE)"
    local marker
    marker=$(date '+%Y-%m-%d %H:%M:%S')
    echo "---- pg.sh start at $marker ----" | as_owner tee -a "$LOG_FILE" >/dev/null
    # The postmaster must not inherit the lock (fd 9) nor our stdout (fd 3):
    # otherwise it would hold the lock forever, and a caller reading our
    # stdout to EOF would hang for as long as the server runs.
    if ! as_owner "$BINDIR/pg_ctl" start -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 \
        </dev/null >&2 3>&- 9>&-; then
        show_log_tail
        die "PostgreSQL failed to start"
    fi
    if ! is_ready; then
        show_log_tail
        die "PostgreSQL started but does not accept connections"
    fi

    ensure_role
    ensure_tls
    print_url "$(actual_port)"
}

case "$CMD" in
start) do_start ;;
stop) do_stop fast ;;
crash) do_stop immediate ;;
esac
