#!/usr/bin/env bash
# A throwaway TPM 2.0 PKCS#11 token for development, docs and tests: swtpm (TCP simulator on
# loopback) behind tpm2-abrmd on a private D-Bus session, with a tpm2-pkcs11 store made by tpm2_ptool.
#
#   scripts/dev-tpm.sh up DIR          start everything, make token + keys, write DIR/env
#   scripts/dev-tpm.sh down DIR        stop every process started by `up` and remove DIR
#   scripts/dev-tpm.sh stop-tpm DIR    kill swtpm only (simulates a TPM that went away)
#   scripts/dev-tpm.sh start-tpm DIR   start swtpm again on the same ports and state
#   scripts/dev-tpm.sh restart-abrmd DIR  restart the resource manager (after start-tpm)
#
# `up` reads: TOKEN (default edge), PIN (1234), SOPIN (5678),
#             KEYS (default "ec256:ecc256 ec384:ecc384 rsa2048:rsa2048"; "" for none).
# Then `. DIR/env` gives TPM2_PKCS11_STORE, TPM2_PKCS11_TCTI, DBUS_SESSION_BUS_ADDRESS and
# TPM2TOOLS_TCTI for the module (/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so.1) and tpm2-tools.
# Against a real TPM, skip swtpm/dbus/abrmd and use TPM2_PKCS11_TCTI=device:/dev/tpmrm0 (docs/tpm.md).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

for tool in swtpm dbus-daemon tpm2_ptool; do
  command -v "$tool" >/dev/null || { echo "dev-tpm: $tool missing: apt-get install -y swtpm swtpm-tools dbus libtpm2-pkcs11-1 libtpm2-pkcs11-tools tpm2-abrmd libtss2-tcti-tabrmd0 tpm2-tools" >&2; exit 1; }
done
abrmd=$(command -v tpm2-abrmd || echo /usr/sbin/tpm2-abrmd)
[ -x "$abrmd" ] || { echo "dev-tpm: tpm2-abrmd missing: apt-get install -y tpm2-abrmd libtss2-tcti-tabrmd0" >&2; exit 1; }

# Two consecutive free loopback ports: swtpm's TCTI uses PORT for commands and PORT+1 for control.
free_port_pair() {
  python3 - <<'EOF'
import socket
for _ in range(200):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
    finally:
        a.close(); b.close()
EOF
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {
  local file=$1
  if [ -f "$file" ]; then
    local pid; pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
  fi
}

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "dev-tpm: nothing listening on 127.0.0.1:$1" >&2; return 1
}

start_swtpm() {
  local port; port=$(cat "$dir/port")
  swtpm socket --tpm2 --tpmstate dir="$dir/state" \
    --server type=tcp,port="$port",bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
    --flags not-need-init,startup-clear --pid file="$dir/swtpm.pid" \
    --log file="$dir/swtpm.log" --daemon
  wait_port "$port"
}

start_abrmd() {
  local port; port=$(cat "$dir/port")
  # --flush-all: start from an empty TPM (objects a killed client left behind are gone).
  DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/bus" setsid "$abrmd" --session --allow-root --flush-all \
    --tcti="swtpm:host=127.0.0.1,port=$port" >"$dir/abrmd.log" 2>&1 </dev/null &
  echo $! >"$dir/abrmd.pid"
  # Ready once a command goes through the broker.
  for _ in $(seq 200); do
    if DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/bus" tpm2_getrandom -T tabrmd:bus_type=session 4 >/dev/null 2>&1; then return 0; fi
    pid_alive "$dir/abrmd.pid" || { echo "dev-tpm: tpm2-abrmd exited:" >&2; cat "$dir/abrmd.log" >&2; return 1; }
    sleep 0.05
  done
  echo "dev-tpm: tpm2-abrmd not ready" >&2; return 1
}

case "$cmd" in
  up)
    token=${TOKEN:-edge}; pin=${PIN:-1234}; sopin=${SOPIN:-5678}
    keys=${KEYS-"ec256:ecc256 ec384:ecc384 rsa2048:rsa2048"}
    mkdir -p "$dir/state" "$dir/store"
    free_port_pair >"$dir/port"
    start_swtpm
    dbus-daemon --session --fork --address="unix:path=$dir/bus" --print-pid=3 --nopidfile 3>"$dir/dbus.pid" >/dev/null
    start_abrmd
    cat >"$dir/env" <<EOF
export TPM2_PKCS11_STORE='$dir/store'
export TPM2_PKCS11_TCTI='tabrmd:bus_type=session'
export TPM2TOOLS_TCTI='tabrmd:bus_type=session'
export DBUS_SESSION_BUS_ADDRESS='unix:path=$dir/bus'
export TPM2_PKCS11_LOG_LEVEL=0
EOF
    # shellcheck disable=SC1091
    . "$dir/env"
    # Dictionary-attack lockout: every swtpm kill is an unorderly shutdown, which counts as a failed
    # authorisation (TPM 2.0 Part 1 §19.8.6); the default 3 tries would lock the throwaway token
    # after a few kill/restart tests. A real TPM keeps its owner's settings (docs/tpm.md).
    tpm2_dictionarylockout --setup-parameters --max-tries=1000 --recovery-time=1 --lockout-recovery-time=1 >/dev/null
    tpm2_dictionarylockout --clear-lockout >/dev/null
    tpm2_ptool init --path "$dir/store" >/dev/null
    tpm2_ptool addtoken --pid 1 --label "$token" --sopin "$sopin" --userpin "$pin" --path "$dir/store" >/dev/null
    for spec in $keys; do
      tpm2_ptool addkey --label "$token" --key-label "${spec%%:*}" --algorithm "${spec#*:}" --userpin "$pin" --path "$dir/store" >/dev/null
      echo "dev-tpm: key ${spec%%:*} (${spec#*:})" >&2
    done
    echo "dev-tpm: token \"$token\" ready; . $dir/env" >&2
    ;;
  down)
    stop_pidfile "$dir/abrmd.pid"
    stop_pidfile "$dir/swtpm.pid"
    stop_pidfile "$dir/dbus.pid"
    rm -rf "$dir"
    ;;
  stop-tpm)
    if [ -f "$dir/swtpm.pid" ]; then kill -9 "$(cat "$dir/swtpm.pid")" 2>/dev/null || true; rm -f "$dir/swtpm.pid"; fi
    ;;
  start-tpm)
    pid_alive "$dir/swtpm.pid" || start_swtpm
    DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/bus" tpm2_dictionarylockout -T tabrmd:bus_type=session --clear-lockout >/dev/null 2>&1 || true
    ;;
  restart-abrmd)
    stop_pidfile "$dir/abrmd.pid"
    start_abrmd
    ;;
  *)
    echo "dev-tpm: unknown command $cmd" >&2; exit 2 ;;
esac
