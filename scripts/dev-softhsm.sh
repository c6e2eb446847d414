#!/usr/bin/env bash
# A throwaway SoftHSM2 PKCS#11 token for development, docs and tests: its own softhsm2.conf and
# token directory under DIR, a token with a user PIN, and key pairs generated inside the token.
#
#   scripts/dev-softhsm.sh up DIR      make the token and keys, write DIR/env
#   scripts/dev-softhsm.sh down DIR    remove DIR (SoftHSM2 runs no daemon)
#
# `up` reads: TOKEN (default edge), PIN (1234), SOPIN (5678),
#             KEYS (default "ec256:EC:prime256v1 ec384:EC:secp384r1 rsa2048:rsa:2048 ed25519:EC:edwards25519";
#             "" for none). Then `. DIR/env` sets SOFTHSM2_CONF for the module
#             (/usr/lib/softhsm/libsofthsm2.so) and for softhsm2-util / pkcs11-tool.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
module=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

case "$cmd" in
  up)
    command -v softhsm2-util >/dev/null || { echo "dev-softhsm: softhsm2-util missing: apt-get install -y softhsm2" >&2; exit 1; }
    token=${TOKEN:-edge}; pin=${PIN:-1234}; sopin=${SOPIN:-5678}
    keys=${KEYS-"ec256:EC:prime256v1 ec384:EC:secp384r1 rsa2048:rsa:2048 ed25519:EC:edwards25519"}
    mkdir -p "$dir/tokens"
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$dir" >"$dir/softhsm2.conf"
    echo "export SOFTHSM2_CONF='$dir/softhsm2.conf'" >"$dir/env"
    export SOFTHSM2_CONF="$dir/softhsm2.conf"
    softhsm2-util --init-token --free --label "$token" --pin "$pin" --so-pin "$sopin" >/dev/null
    if [ -n "$keys" ]; then
      command -v pkcs11-tool >/dev/null || { echo "dev-softhsm: pkcs11-tool missing: apt-get install -y opensc" >&2; exit 1; }
      n=1
      for spec in $keys; do
        # --id: a stable CKA_ID per key (01, 02, ...), as RFC 7512 URIs can name keys by id.
        pkcs11-tool --module "$module" --token-label "$token" --login --pin "$pin" --keypairgen \
          --key-type "${spec#*:}" --label "${spec%%:*}" --id "$(printf '%02x' "$n")" --usage-sign >/dev/null
        echo "dev-softhsm: key ${spec%%:*} (${spec#*:}) id $(printf '%02x' "$n")" >&2
        n=$((n + 1))
      done
    fi
    echo "dev-softhsm: token \"$token\" ready; . $dir/env" >&2
    ;;
  down)
    rm -rf "$dir"
    ;;
  *)
    echo "dev-softhsm: unknown command $cmd" >&2; exit 2 ;;
esac
