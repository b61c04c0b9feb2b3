# Sourced by `make test` / `make bench`: make sure a PostgreSQL server is reachable and
# export FENPEI_TEST_PG_URL for the suite. With CI=true a missing server is an error;
# elsewhere the PostgreSQL tests skip with a visible reason.
: "${FENPEI_TEST_PG_URL:=postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
export FENPEI_TEST_PG_URL

_pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -h 127.0.0.1 -p 5432
  else (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; fi
}

if ! _pg_ready && [ "${CI:-}" = "true" ] && [ ! -d /etc/postgresql ] \
   && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "postgres-for-tests: installing PostgreSQL from Debian's packages" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 \
    || echo "postgres-for-tests: apt-get install postgresql failed" >&2
  for conf in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$conf" ] && sed -i 's/^\(host\s.*127.0.0.1\/32\s*\)\S*$/\1trust/; s/^\(local\s*all\s*postgres\s*\)\S*$/\1trust/' "$conf"
  done
fi
if ! _pg_ready && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres-for-tests: PostgreSQL is installed but stopped; starting it" >&2
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do _pg_ready && break; sleep 1; done
fi

if [ "${CI:-}" = "true" ] && [ -z "${FENPEI_TEST_PG_REQUIRED:-}" ]; then
  export FENPEI_TEST_PG_REQUIRED=1
fi
if ! _pg_ready; then
  if [ "${FENPEI_TEST_PG_REQUIRED:-}" = "1" ]; then
    echo "postgres-for-tests: PostgreSQL is required (CI=true) but 127.0.0.1:5432 does not answer" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "postgres-for-tests: no PostgreSQL on 127.0.0.1:5432; PostgreSQL tests will be skipped" >&2
fi
