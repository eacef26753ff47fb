#!/usr/bin/env bash
# A PostgreSQL primary and a synchronous streaming standby for the failover test, made with Debian's
# cluster tools beside (never instead of) the main cluster on 5432. Run as root; the clusters run as the
# postgres user.
#
#   scripts/failover-clusters.sh create    (re)create both clusters and wait until the standby is synchronous
#   scripts/failover-clusters.sh destroy   stop and remove both clusters (nothing to do when absent)
#   scripts/failover-clusters.sh status    the clusters and the primary's replication state
#   scripts/failover-clusters.sh stop-primary     stop the primary hard (immediate mode: no shutdown checkpoint)
#   scripts/failover-clusters.sh start-primary    start the primary again (after stop-primary, before a promotion)
#   scripts/failover-clusters.sh promote-standby  turn the standby into a primary
#
# Ports: STRONGROOM_FAILOVER_PRIMARY_PORT (5441) and STRONGROOM_FAILOVER_STANDBY_PORT (5442).
set -euo pipefail

version=${STRONGROOM_FAILOVER_PG_VERSION:-$(ls /etc/postgresql | sort -V | tail -n 1)}
primary=strongroom_primary
standby=strongroom_standby
primary_port=${STRONGROOM_FAILOVER_PRIMARY_PORT:-5441}
standby_port=${STRONGROOM_FAILOVER_STANDBY_PORT:-5442}
host=127.0.0.1

fail() {
  echo "failover-clusters: $*" >&2
  exit 1
}

exists() { [ -d "/etc/postgresql/$version/$1" ]; }
ctl() { pg_ctlcluster --skip-systemctl-redirect "$version" "$@"; }
as_postgres() { runuser -u postgres -- "$@"; }

wait_ready() {
  local port=$1
  for _ in $(seq 1 60); do
    pg_isready -h "$host" -p "$port" -q && return 0
    sleep 0.5
  done
  fail "the cluster on port $port did not accept connections within 30 s"
}

destroy() {
  for name in "$standby" "$primary"; do
    if [ -f "/etc/postgresql/$version/$name/postgresql.conf" ]; then pg_dropcluster --stop "$version" "$name"; fi
    # pg_dropcluster leaves the configuration directory behind when it holds a file it did not write.
    rm -rf "/etc/postgresql/$version/${name:?}" "/var/lib/postgresql/$version/${name:?}"
  done
}

create() {
  [ "$(id -u)" -eq 0 ] || fail 'run as root (the clusters are created for, and run as, the postgres user)'
  command -v pg_createcluster >/dev/null || fail "Debian's postgresql-common (pg_createcluster) is not installed"
  for port in "$primary_port" "$standby_port"; do
    if pg_isready -h "$host" -p "$port" -q && ! exists "$primary" && ! exists "$standby"; then
      fail "port $port is already taken by another server; set STRONGROOM_FAILOVER_*_PORT"
    fi
  done
  destroy

  # Trust on loopback only: the clusters listen nowhere else and exist for the duration of a test run.
  # A commit returns only once the standby has flushed it (synchronous_commit = on with a named standby),
  # so an acknowledged write survives the loss of the primary.
  pg_createcluster "$version" "$primary" -p "$primary_port" -- --auth-local=trust --auth-host=trust >/dev/null
  cat >"/etc/postgresql/$version/$primary/conf.d/strongroom-failover.conf" <<EOF
listen_addresses = '$host'
shared_buffers = 32MB
wal_level = replica
max_wal_senders = 4
synchronous_commit = on
synchronous_standby_names = '$standby'
EOF
  ctl "$primary" start
  wait_ready "$primary_port"

  # The standby starts as a copy of the primary taken with pg_basebackup, streaming from then on.
  pg_createcluster "$version" "$standby" -p "$standby_port" -- --auth-local=trust --auth-host=trust >/dev/null
  local standby_data="/var/lib/postgresql/$version/$standby"
  find "${standby_data:?}" -mindepth 1 -delete
  as_postgres pg_basebackup -h "$host" -p "$primary_port" -U postgres -D "$standby_data" -X stream --checkpoint=fast
  # postgresql.auto.conf came over from the primary; the standby's own settings go in its conf.d, and the
  # application name is what the primary's synchronous_standby_names waits for.
  cat >"/etc/postgresql/$version/$standby/conf.d/strongroom-failover.conf" <<EOF
listen_addresses = '$host'
shared_buffers = 32MB
hot_standby = on
primary_conninfo = 'host=$host port=$primary_port user=postgres application_name=$standby'
synchronous_standby_names = ''
EOF
  as_postgres touch "$standby_data/standby.signal"
  ctl "$standby" start
  wait_ready "$standby_port"

  for _ in $(seq 1 60); do
    state=$(psql -h "$host" -p "$primary_port" -U postgres -d postgres -tAc \
      "select sync_state from pg_stat_replication where application_name = '$standby'")
    if [ "$state" = sync ]; then
      echo "primary on $primary_port, synchronous standby on $standby_port (PostgreSQL $version)"
      return 0
    fi
    sleep 0.5
  done
  fail 'the standby did not become a synchronous replica within 30 s'
}

case "${1:-}" in
  create) create ;;
  destroy) destroy ;;
  status)
    pg_lsclusters | grep -E "^Ver|$primary|$standby" || true
    psql -h "$host" -p "$primary_port" -U postgres -d postgres -tAc \
      'select application_name, state, sync_state from pg_stat_replication' 2>/dev/null || true
    ;;
  stop-primary) ctl "$primary" stop -m immediate ;;
  start-primary)
    ctl "$primary" start
    wait_ready "$primary_port"
    ;;
  promote-standby) ctl "$standby" promote ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
