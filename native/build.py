"""cffi out-of-line API-mode build of ``native._edgefleet_native`` (run by setup.py, or directly).

The cdef is the CDEF-BEGIN..CDEF-END section of the one header, so the binding cannot drift from the C.
EF_EXTRA_CFLAGS / EF_EXTRA_LDFLAGS (space-separated) add flags, e.g. for the sanitizer build.
"""

import os
import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
HEADER = SRC / "edgefleet_native.h"


def cdef_from_header(text: str) -> str:
    match = re.search(r"/\* CDEF-BEGIN \*/(.*?)/\* CDEF-END \*/", text, re.DOTALL)
    if match is None:
        raise RuntimeError(f"{HEADER} has no CDEF-BEGIN/CDEF-END section")
    return match.group(1)


ffibuilder = FFI()
ffibuilder.cdef(cdef_from_header(HEADER.read_text()))
ffibuilder.set_source(
    "native._edgefleet_native",
    '#include "edgefleet_native.h"',
    sources=[str(p.relative_to(HERE.parent)) for p in sorted(SRC.glob("*.c"))],
    include_dirs=[str(SRC)],
    libraries=["crypto"],
    extra_compile_args=[
        "-O2",
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror=implicit-function-declaration",
        *os.environ.get("EF_EXTRA_CFLAGS", "").split(),
    ],
    extra_link_args=os.environ.get("EF_EXTRA_LDFLAGS", "").split(),
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
