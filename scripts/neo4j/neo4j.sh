#!/usr/bin/env bash
# A real Neo4j 5.26 Community server from Maven Central jars (see ../shared/NEO4J.md).
#
#   neo4j.sh provision            resolve the jars into the cache (once; later runs reuse it)
#   neo4j.sh start  [HOME]        write HOME/conf/neo4j.conf, set the password, start, wait for Bolt
#   neo4j.sh stop   [HOME]        stop the server started in HOME, by its own PID
#   neo4j.sh status [HOME]        exit 0 and print the Bolt URI when running
#
# HOME defaults to $NEO4J_HOME, else .cache/neo4j/home.  Environment:
#   NEO4J_LIB            jar folder (default .cache/neo4j/lib, git-ignored)
#   NEO4J_PASSWORD       initial password of user neo4j (default: random, kept in HOME/password)
#   NEO4J_BOLT_PORT      Bolt port (default: a free port)
#   NEO4J_HTTP_PORT      HTTP port (default: a free port)
#   NEO4J_START_TIMEOUT  seconds to wait for Bolt (default 120)
#
# `start` prints KEY=VALUE lines (bolt_uri, http_uri, user, password_file, pid, log)
# and writes the same to HOME/server.env.
set -euo pipefail

script_dir="$(cd "$(dirname "$0")" && pwd)"
repo_dir="$(cd "$script_dir/../.." && pwd)"
lib_dir="${NEO4J_LIB:-$repo_dir/.cache/neo4j/lib}"
neo4j_version="$(sed -n 's|.*<neo4j.version>\(.*\)</neo4j.version>.*|\1|p' "$script_dir/pom.xml")"
marker="$lib_dir/.complete-$neo4j_version"

die() { echo "neo4j.sh: $*" >&2; exit 1; }

free_port() {
    # Bind port 0 on loopback and report what the kernel picked.
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

provision() {
    if [ -f "$marker" ]; then
        return 0
    fi
    command -v mvn >/dev/null || die "Maven (mvn) is not installed; run scripts/install_system_deps.sh"
    command -v java >/dev/null || die "Java 17 is not installed; run scripts/install_system_deps.sh"
    local tmp="$lib_dir.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    echo "neo4j.sh: resolving Neo4j $neo4j_version jars from Maven Central into $lib_dir" >&2
    if ! (cd "$script_dir" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$tmp" >&2); then
        rm -rf "$tmp"
        die "mvn dependency:copy-dependencies failed (is Maven Central reachable?)"
    fi
    rm -rf "$lib_dir"
    mkdir -p "$(dirname "$lib_dir")"
    mv "$tmp" "$lib_dir"
    touch "$marker"
}

resolve_home() {
    local home="${1:-${NEO4J_HOME:-$repo_dir/.cache/neo4j/home}}"
    mkdir -p "$home"
    (cd "$home" && pwd)
}

read_pid() {
    # Prints the PID in HOME/neo4j.pid if that process is alive and is our server.
    local home="$1" pid
    [ -f "$home/neo4j.pid" ] || return 1
    pid="$(cat "$home/neo4j.pid")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # Guard against PID reuse: the process must be the server of this home.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--home-dir=$home" || return 1
    echo "$pid"
}

write_conf() {
    local home="$1" bolt_port="$2" http_port="$3"
    mkdir -p "$home/conf" "$home/data" "$home/logs" "$home/run" "$home/plugins" "$home/import"
    cat >"$home/conf/neo4j.conf" <<EOF
# Written by scripts/neo4j/neo4j.sh start; rewritten on every start.
server.directories.data=$home/data
server.directories.logs=$home/logs
server.directories.run=$home/run
server.directories.plugins=$home/plugins
server.directories.import=$home/import
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$bolt_port
server.bolt.advertised_address=127.0.0.1:$bolt_port
server.http.enabled=true
server.http.listen_address=127.0.0.1:$http_port
server.http.advertised_address=127.0.0.1:$http_port
server.https.enabled=false
dbms.security.auth_enabled=true
# NEO4J_HEAP / NEO4J_PAGECACHE override the small defaults meant for tests
server.memory.heap.initial_size=${NEO4J_HEAP:-512m}
server.memory.heap.max_size=${NEO4J_HEAP:-512m}
server.memory.pagecache.size=${NEO4J_PAGECACHE:-256m}
dbms.memory.transaction.total.max=256m
dbms.usage_report.enabled=false
db.tx_log.rotation.retention_policy=1 files
EOF
}

show_logs() {
    local f
    for f in "$1/logs/console.log" "$1/logs/neo4j.log"; do
        [ -s "$f" ] || continue
        echo "---- tail of $f ----" >&2
        tail -n 60 "$f" >&2 || true
    done
}

start() {
    local home bolt_port http_port password pid log console waited timeout
    home="$(resolve_home "${1:-}")"
    provision
    if pid="$(read_pid "$home")"; then
        echo "neo4j.sh: already running in $home (pid $pid)" >&2
        cat "$home/server.env"
        return 0
    fi
    bolt_port="${NEO4J_BOLT_PORT:-$(free_port)}"
    http_port="${NEO4J_HTTP_PORT:-$(free_port)}"
    [ "$bolt_port" != "$http_port" ] || http_port="$(free_port)"
    write_conf "$home" "$bolt_port" "$http_port"
    # In daemon mode the server writes its user log to logs/neo4j.log; stdout
    # and stderr (JVM errors) go to logs/console.log.
    log="$home/logs/neo4j.log"
    console="$home/logs/console.log"
    rm -f "$log"

    local java_cmd=(java -cp "$lib_dir/*")
    export NEO4J_HOME="$home" NEO4J_CONF="$home/conf"
    if [ ! -f "$home/data/dbms/auth.ini" ]; then
        password="${NEO4J_PASSWORD:-$(python3 -c 'import secrets; print("gs" + secrets.token_hex(16))')}"
        [ "${#password}" -ge 8 ] || die "NEO4J_PASSWORD must be at least 8 characters (Neo4j rule)"
        if ! "${java_cmd[@]}" org.neo4j.server.startup.Neo4jAdminCommand \
                dbms set-initial-password -- "$password" >"$home/logs/admin.log" 2>&1; then
            cat "$home/logs/admin.log" >&2
            die "set-initial-password failed (log above: $home/logs/admin.log)"
        fi
        (umask 077 && printf '%s\n' "$password" >"$home/password")
    elif [ -n "${NEO4J_PASSWORD:-}" ] && [ "$(cat "$home/password" 2>/dev/null)" != "$NEO4J_PASSWORD" ]; then
        die "$home already has a password that differs from NEO4J_PASSWORD; use a fresh home"
    fi

    # Without the bootloader nothing turns the conf's heap size into JVM flags,
    # so they are passed here, with the --add-opens Neo4j's own launcher uses
    # (the page cache falls back to a slow mode without java.nio access).
    nohup "${java_cmd[@]}" "-Xms${NEO4J_HEAP:-512m}" "-Xmx${NEO4J_HEAP:-512m}" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
        -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC -Djdk.nio.maxCachedBufferSize=1024 \
        --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
        -Dfile.encoding=UTF-8 -Djdk.tls.ephemeralDHKeySize=2048 \
        org.neo4j.server.CommunityEntryPoint --home-dir="$home" --config-dir="$home/conf" \
        >"$console" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$home/neo4j.pid"

    timeout="${NEO4J_START_TIMEOUT:-120}"
    waited=0
    until port_open "$bolt_port" && grep -q "Started\." "$log" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            show_logs "$home"
            rm -f "$home/neo4j.pid"
            die "Neo4j exited during start-up (log above)"
        fi
        if [ "$waited" -ge $((timeout * 2)) ]; then
            show_logs "$home"
            stop "$home" >/dev/null 2>&1 || true
            die "Bolt did not answer on 127.0.0.1:$bolt_port within ${timeout}s (log above)"
        fi
        sleep 0.5
        waited=$((waited + 1))
    done

    cat >"$home/server.env" <<EOF
bolt_uri=bolt://127.0.0.1:$bolt_port
http_uri=http://127.0.0.1:$http_port
user=neo4j
password_file=$home/password
pid=$pid
log=$log
EOF
    cat "$home/server.env"
}

stop() {
    local home pid i
    home="$(resolve_home "${1:-}")"
    if ! pid="$(read_pid "$home")"; then
        rm -f "$home/neo4j.pid"
        echo "neo4j.sh: not running in $home" >&2
        return 0
    fi
    kill -TERM "$pid"
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "neo4j.sh: pid $pid ignored SIGTERM for 30s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$home/neo4j.pid"
    echo "neo4j.sh: stopped pid $pid" >&2
}

status() {
    local home pid
    home="$(resolve_home "${1:-}")"
    if pid="$(read_pid "$home")"; then
        cat "$home/server.env"
        return 0
    fi
    echo "neo4j.sh: not running in $home" >&2
    return 3
}

case "${1:-}" in
    provision) provision; echo "lib=$lib_dir" ;;
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    status) status "${2:-}" ;;
    *) die "usage: neo4j.sh provision|start [HOME]|stop [HOME]|status [HOME]" ;;
esac
