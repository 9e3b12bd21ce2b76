#!/bin/sh
# Regenerates the tpm2_quote known-answer vectors in this directory from a fresh swtpm.
# Run once by hand; the outputs are committed so the tests that read them need neither swtpm nor
# tpm2-tools. Each of ecc/ and rsa/ gets:
#   ak.pub      tpm2_createak -u   (TPM2B_PUBLIC)
#   quote.msg   tpm2_quote -m      (TPMS_ATTEST as signed)
#   quote.sig   tpm2_quote -s      (TPMT_SIGNATURE, TSS format: no -f plain)
#   quote.pcrs  tpm2_quote -o -F values (sha256 PCRs 0,1,7 concatenated)
#   nonce.hex   the qualifying data passed with -q
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {  # a port P with P+1 also free (data and control channel)
    python3 -c 'import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    c = socket.socket()
    try:
        c.bind(("127.0.0.1", p + 1)); c.close(); print(p); break
    except OSError:
        c.close()'
}

port=$(free_port)
mkdir "$work/state"
swtpm socket --tpm2 --tpmstate dir="$work/state" \
    --server type=tcp,port="$port",bindaddr=127.0.0.1 --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
    --flags not-need-init,startup-clear &
pid=$!
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
i=0
until tpm2_getcap properties-fixed >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 100 ] || { echo "swtpm did not start" >&2; exit 1; }
    sleep 0.05
done

# No resource manager in front of swtpm: tpm2-tools leave objects loaded, so flush after each step.
flush() { tpm2_flushcontext -t; tpm2_flushcontext -s; }

# Non-zero boot PCRs, as a measured boot would leave them.
for pcr in 0 1 7; do
    digest=$(printf 'edgefleet vector measurement %s' "$pcr" | sha256sum | cut -d' ' -f1)
    tpm2_pcrextend "$pcr:sha256=$digest"
done

cd "$work"
tpm2_createek -c ek.ctx -G rsa -u ek.pub
flush
for kind in ecc rsa; do
    case "$kind" in ecc) scheme=ecdsa ;; rsa) scheme=rsassa ;; esac
    tpm2_createak -C ek.ctx -c "ak-$kind.ctx" -G "$kind" -g sha256 -s "$scheme" -u "ak-$kind.pub" >/dev/null
    flush
    nonce=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
    tpm2_quote -c "ak-$kind.ctx" -l sha256:0,1,7 -q "$nonce" -g sha256 --scheme "$scheme" \
        -m "$kind.msg" -s "$kind.sig" -o "$kind.pcrs" -F values >/dev/null
    flush
    mkdir -p "$here/$kind"
    cp "ak-$kind.pub" "$here/$kind/ak.pub"
    cp "$kind.msg" "$here/$kind/quote.msg"
    cp "$kind.sig" "$here/$kind/quote.sig"
    cp "$kind.pcrs" "$here/$kind/quote.pcrs"
    printf '%s\n' "$nonce" > "$here/$kind/nonce.hex"
    chmod 644 "$here/$kind"/*
done
echo "vectors written to $here/ecc and $here/rsa"
