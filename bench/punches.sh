#!/usr/bin/env bash
# Load test of POST /v1/me/punches next to PostgreSQL's own single-row INSERT
# rate (pgbench), on this machine, in one run. Everything runs on loopback:
# a private PostgreSQL (default durability: fsync on) under .daka/pgbench,
# a daka server, the punchload client and pgbench.
#
#   bash bench/punches.sh [duration, default 20s] [workers, default 32]
#
# Prints JSON lines: peak (closed loop), half-peak latency (open loop at half
# the peak rate), and pgbench's INSERT rate with the same number of clients.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-20s} conc=${2:-32} port=18080
base=$(.ci/pg.sh .daka/pgbench 54331)
db=${base/\/postgres\?/\/daka_bench?}
psql "$base" -qc "DROP DATABASE IF EXISTS daka_bench WITH (FORCE)" -c "CREATE DATABASE daka_bench" >/dev/null
go build -o .daka/bin/daka ./cmd/daka
go build -o .daka/bin/punchload ./bench/punchload
export DATABASE_URL=$db DAKA_JWT_SECRET=bench-secret-bench-secret-bench-secret DAKA_HTTP_ADDR=127.0.0.1:$port DAKA_LOG_LEVEL=warn
.daka/bin/daka tenant create --slug bench --name Bench --admin-email admin@bench.test --admin-password bench-password >/dev/null
# 200 employees sharing the admin's password hash (argon2id), one site.
psql "$db" -q <<'SQL'
INSERT INTO employees (tenant_id, id, employee_no, name, timezone, role, password_hash, created_at, updated_at)
SELECT e.tenant_id, gen_random_uuid(), 'E' || lpad(i::text, 5, '0'), 'Bench ' || i, 'Asia/Shanghai', 'employee', e.password_hash, now(), now()
FROM employees e, generate_series(1, 200) i WHERE e.employee_no = 'admin';
INSERT INTO sites (tenant_id, id, name, timezone, crs, geofences, geofences_src, created_at, updated_at)
SELECT id, gen_random_uuid(), 'HQ', 'Asia/Shanghai', 'wgs84',
  '[{"type":"circle","center":{"lat":31.2304,"lng":121.4737},"radius_m":300}]',
  '[{"type":"circle","center":{"lat":31.2304,"lng":121.4737},"radius_m":300}]', now(), now() FROM tenants;
UPDATE tenants SET sites_rev = sites_rev + 1;
-- The same table shape, indexes and defaults, without foreign keys: what pgbench inserts into.
CREATE TABLE raw_punches (LIKE punches INCLUDING DEFAULTS INCLUDING INDEXES);
SQL
.daka/bin/daka serve 2>.daka/bench-server.log &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), $(psql "$base" -tAc 'show server_version')"
.daka/bin/punchload -url "http://127.0.0.1:$port" -tenant bench -employees 200 -password bench-password -c "$conc" -d 5s >/dev/null # warm-up
peak=$(.daka/bin/punchload -url "http://127.0.0.1:$port" -tenant bench -employees 200 -password bench-password -c "$conc" -d "$dur")
echo "{\"run\":\"api_peak\",\"result\":$peak}"
rate=$(echo "$peak" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["per_second"]/2))')
half=$(.daka/bin/punchload -url "http://127.0.0.1:$port" -tenant bench -employees 200 -password bench-password -c "$conc" -rate "$rate" -d "$dur")
echo "{\"run\":\"api_half_peak\",\"result\":$half}"
kill $srv; wait $srv 2>/dev/null || true

cat > .daka/pgbench-insert.sql <<'SQL'
\set emp random(1, 200)
INSERT INTO raw_punches (tenant_id, id, employee_id, kind, source, verdict, client_punch_id, occurred_at, received_at,
  site_id, site_name, distance_m, containment, lat, lng, accuracy_m, src_crs, src_lat, src_lng, signals)
VALUES ('00000000-0000-0000-0000-000000000001', gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad(:emp::text, 12, '0'))::uuid,
  'in', 'app', 'accepted', gen_random_uuid(), now(), now(), '00000000-0000-0000-0000-000000000002', 'HQ', -120.5, 'inside',
  31.2304, 121.4737, 15, 'wgs84', 31.2304, 121.4737,
  '[{"code":"inside_geofence","message":"inside HQ","severity":"info","details":{"accuracy_m":15}}]');
SQL
pgb=$(ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)
secs=${dur%s}
out=$("$pgb" -n -c "$conc" -j 2 -T "$secs" -f .daka/pgbench-insert.sql "$db" 2>&1)
tps=$(echo "$out" | grep -oP 'tps = \K[0-9.]+(?= \(without)')
lat=$(echo "$out" | grep -oP 'latency average = \K[0-9.]+')
echo "{\"run\":\"pgbench_insert\",\"result\":{\"per_second\":$tps,\"latency_avg_ms\":$lat,\"clients\":$conc}}"
python3 - "$peak" "$tps" <<'PY'
import json, sys
peak = json.loads(sys.argv[1])["per_second"]; raw = float(sys.argv[2])
print(json.dumps({"run": "ratio", "api_over_raw_insert": round(peak / raw, 3)}))
PY
