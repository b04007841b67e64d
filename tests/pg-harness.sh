# pg-harness.sh - start and stop a private PostgreSQL server for tests and
# the demo.  Source it, then call pg_start DIR; it sets PGHOST, PGPORT,
# PGUSER, PGDATABASE and DM_CONNINFO, and pg_stop stops the server.
#
# The server listens only on a Unix socket in DIR, on a port of its own.
# initdb refuses to run as root, so when we are root the server runs as
# the unprivileged user "nobody".

pg_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
	echo "pg-harness: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
	return 1
}

# Run a command as the server's owner.
pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

# pg_start DIR [PORT]: initdb into DIR/data (unless present) and start.
pg_start() {
	PG_DIR=$1
	PGPORT=${2:-$((20000 + $$ % 20000))}
	PG_BIN=$(pg_bindir) || return 1
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$PG_DIR"
		chmod 700 "$PG_DIR"
	fi
	if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
		pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U deskmail --auth=trust \
			-E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1 || {
			echo "pg-harness: initdb failed, see $PG_DIR/initdb.log" >&2
			cat "$PG_DIR/initdb.log" >&2
			return 1
		}
	fi
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-k $PG_DIR -p $PGPORT -c listen_addresses='' ${PG_EXTRA_OPTS:--c fsync=off}" \
		start >/dev/null || {
		echo "pg-harness: server did not start, see $PG_DIR/server.log" >&2
		tail -20 "$PG_DIR/server.log" >&2
		return 1
	}
	PGHOST=$PG_DIR PGUSER=deskmail PGDATABASE=deskmail
	export PGHOST PGPORT PGUSER PGDATABASE
	DM_CONNINFO="host=$PG_DIR port=$PGPORT user=deskmail dbname=deskmail"
}

# pg_stop [MODE]: stop the server (fast by default; immediate to simulate
# a crash).
pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w stop >/dev/null 2>&1 || true
}

# pg_restart: start the server again after pg_stop, same directory and port.
pg_restart() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-k $PG_DIR -p $PGPORT -c listen_addresses='' ${PG_EXTRA_OPTS:--c fsync=off}" \
		start >/dev/null
}

# psql as the test superuser, unaligned, tuples only.
pg_sql() {
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}
