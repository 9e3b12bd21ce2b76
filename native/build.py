"""cffi out-of-line API-mode build of ``native._edgefleet_native`` (run by setup.py, or directly)."""
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"

CDEF = """
int ef_pcr_digest_sha256(const uint8_t *values, size_t count, size_t value_len, uint8_t *out);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "native._edgefleet_native",
    '#include "edgefleet_native.h"',
    sources=[str(p.relative_to(HERE.parent)) for p in sorted(SRC.glob("*.c"))],
    include_dirs=[str(SRC)],
    libraries=["crypto"],
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
