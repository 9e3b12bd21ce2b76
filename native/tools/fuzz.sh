#!/bin/sh
# Fuzzes the native TPM parser and batch verifier (native/fuzz/fuzz_verify.c), the event log replay
# (native/fuzz/fuzz_eventlog.c) and the evidence line decoder (native/fuzz/fuzz_scan.c) with libFuzzer under AddressSanitizer + UndefinedBehaviorSanitizer, each
# for a bounded time. Exits non-zero on any finding.
#
#   FUZZ_SECONDS=60 native/tools/fuzz.sh        # from anywhere; 60 s per target is the default
#
# Corpora grow across runs in var/fuzz/corpus, var/fuzz/eventlog-corpus and var/fuzz/scan-corpus (FUZZ_DIR overrides
# var/fuzz); crashing inputs are written to var/fuzz/artifacts. Needs clang and libFuzzer: installed from Debian when missing.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
work=${FUZZ_DIR:-$root/var/fuzz}

mkdir -p "$work"
fuzzer_links() {  # can clang build a libFuzzer binary here?
    command -v clang >/dev/null 2>&1 &&
        printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
        clang -x c - -fsanitize=fuzzer -o "$work/probe" >/dev/null 2>&1
}
if ! fuzzer_links; then
    echo "== installing clang and libFuzzer"
    sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang
    major=$(clang --version | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "libfuzzer-$major-dev" "libclang-rt-$major-dev" ||
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "libfuzzer-$major-dev"
    fuzzer_links || { echo "clang cannot build libFuzzer targets on this machine" >&2; exit 1; }
fi

mkdir -p "$work/corpus" "$work/seeds" "$work/eventlog-corpus" "$work/eventlog-seeds" "$work/artifacts" \
    "$work/scan-corpus" "$work/scan-seeds"
for target in fuzz_verify fuzz_eventlog fuzz_scan; do
    echo "== building $target"
    clang -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -I"$root/native/src" "$root"/native/src/*.c "$root/native/fuzz/$target.c" -lcrypto \
        -o "$work/$target"
done

python=$root/.venv/bin/python
[ -x "$python" ] || python=python3
"$python" "$root/native/fuzz/make_corpus.py" "$work/seeds" "$work/scan-seeds"
cp "$root"/tests/fixtures/eventlogs/*.bin "$work/eventlog-seeds/"  # real firmware logs

run() {  # target, corpus, seeds, max input length
    echo "== fuzzing $1 for ${seconds}s"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$work/$1" -max_total_time="$seconds" -max_len="$4" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$2" "$3"
}
run fuzz_verify "$work/corpus" "$work/seeds" 4096
run fuzz_eventlog "$work/eventlog-corpus" "$work/eventlog-seeds" 40000
run fuzz_scan "$work/scan-corpus" "$work/scan-seeds" 16384
echo "== fuzzing finished clean"
