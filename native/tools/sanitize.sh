#!/bin/sh
# Builds the native module with AddressSanitizer + UndefinedBehaviorSanitizer into a temporary folder
# and runs the native tests against that build. Exits non-zero on a test failure or any sanitizer report.
#
#   native/tools/sanitize.sh [extra pytest args]          # from anywhere
#
# The normal build in native/ is left alone: the instrumented module is preloaded under the same name
# before pytest starts. Python itself is not instrumented, so libasan is LD_PRELOADed; PYTHONMALLOC=malloc
# gives every Python buffer (the bytes our C reads) its own redzones. Leak checking is off: CPython
# keeps its heap at exit by design and would drown real reports.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
python=$root/.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cd "$root"

flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
echo "== building the sanitized module in $work"
mkdir -p "$work/native" && cp -r native/src "$work/native/src"  # cffi compiles relative to its tmpdir
EF_EXTRA_CFLAGS="$flags" EF_EXTRA_LDFLAGS="-fsanitize=address,undefined" "$python" -c "
import sys; sys.path.insert(0, 'native')
from build import ffibuilder
ffibuilder.compile(tmpdir=sys.argv[1])
" "$work" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
so=$(ls "$work"/native/_edgefleet_native*.so)

cat >"$work/run_tests.py" <<PY
import importlib.util, sys
import native
spec = importlib.util.spec_from_file_location("native._edgefleet_native", "$so")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules["native._edgefleet_native"] = native._edgefleet_native = module
import pytest
# --capture=sys: sanitizer reports are written to file descriptor 2, which must reach our log
code = pytest.main(["--capture=sys", "tests/integration/native", "tests/integration/test_native_digest.py",
                    "tests/integration/measured_boot",
                    *sys.argv[1:]])
loaded = sys.modules["native._edgefleet_native"].__file__
if loaded != "$so":
    print(f"sanitize.sh: tests ran against {loaded}, not the sanitized build")
    code = code or 3
sys.exit(code)
PY

echo "== running the native tests under ASan + UBSan"
status=0
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
PYTHONMALLOC=malloc \
ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:strict_string_checks=1:log_path=$work/report \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$python" "$work/run_tests.py" "$@" 2>&1 | tee "$work/tests.log" || status=$?
# A report may be in the log (written to fd 2) or in report.* files (ASan's log_path).
if ls "$work"/report.* >/dev/null 2>&1 || grep -Eq "runtime error:|ERROR: AddressSanitizer" "$work/tests.log"; then
    cat "$work"/report.* 2>/dev/null || true
    echo "== sanitizer report: FAIL"
    exit 1
fi
# tee hides the test process's status in plain sh: judge by its summary line too
if ! grep -Eq "[0-9]+ passed" "$work/tests.log" || grep -Eq "[0-9]+ (failed|error)" "$work/tests.log"; then
    echo "== native tests did not pass under the sanitizers: FAIL"
    exit 1
fi
echo "== native tests clean under ASan + UBSan"
exit "$status"
