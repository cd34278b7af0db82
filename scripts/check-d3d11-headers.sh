#!/bin/sh
# Keeps extmem's D3D11/DXGI headers honest against D3D11 itself.
#
#  1. Each public header compiles on its own, as C (gcc, clang) and C++
#     (g++, clang++, also with CINTERFACE), under the project's warnings.
#  2. tests/compat/d3d11_source_compat.c compiles against extmem's headers
#     (C and C++) and, unchanged but for its include lines, against
#     mingw-w64's real d3d11_4.h / dxgi1_2.h.
#  3. Every constant the headers define (enumerators and object-like macros)
#     has the value mingw-w64 gives it, and every IID defined in
#     src/core/guids.c equals mingw-w64's DEFINE_GUID.
#
# Steps needing mingw-w64 print SKIP when its compiler or headers are
# missing; any failure exits non-zero.
#
# Environment: CC, CXX, CLANG, CLANGXX, MINGW_CC, MINGW_CXX override the
# compilers; MINGW_INCLUDE the mingw-w64 header folder.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

CC=${CC:-gcc}
CXX=${CXX:-g++}
CLANG=${CLANG:-clang}
CLANGXX=${CLANGXX:-clang++}
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
MINGW_CXX=${MINGW_CXX:-x86_64-w64-mingw32-g++}
MINGW_INCLUDE=${MINGW_INCLUDE:-/usr/share/mingw-w64/include}

CWARN="-std=gnu11 -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes"
CXXWARN="-std=c++17 -Wall -Wextra -Werror"
SRC=tests/compat/d3d11_source_compat.c
HEADERS="wintypes.h dxgi.h d3d11.h"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

have() { command -v "$1" >/dev/null 2>&1; }

# run LABEL CMD...: runs CMD, reports, and remembers a failure.
run() {
    label=$1
    shift
    if "$@" >"$tmp/log" 2>&1; then
        echo "ok    $label"
    else
        echo "FAIL  $label"
        sed 's/^/      /' "$tmp/log"
        failed=1
    fi
}

skip() { echo "SKIP  $1"; }

# ---- 1. headers on their own --------------------------------------------
for h in $HEADERS; do
    printf '#include <extmem/%s>\n' "$h" >"$tmp/only_${h%.h}.c"
    for cc in "$CC" "$CLANG"; do
        if have "$cc"; then
            run "$cc: <extmem/$h> alone" $cc $CWARN -fsyntax-only -Iinclude "$tmp/only_${h%.h}.c"
        else
            skip "$cc: not installed"
        fi
    done
    for cxx in "$CXX" "$CLANGXX"; do
        if have "$cxx"; then
            run "$cxx: <extmem/$h> alone" $cxx $CXXWARN -fsyntax-only -x c++ -Iinclude "$tmp/only_${h%.h}.c"
            run "$cxx: <extmem/$h> alone, CINTERFACE" \
                $cxx $CXXWARN -DCINTERFACE -fsyntax-only -x c++ -Iinclude "$tmp/only_${h%.h}.c"
        else
            skip "$cxx: not installed"
        fi
    done
done

for cc in "$CC" "$CLANG"; do
    have "$cc" && run "$cc: src/core/guids.c" $cc $CWARN -fsyntax-only -Iinclude src/core/guids.c
done

# ---- 2. the same source against both ------------------------------------
for cc in "$CC" "$CLANG"; do
    have "$cc" && run "$cc: $SRC (extmem)" $cc $CWARN -fsyntax-only -Iinclude -DXM_USE_EXTMEM "$SRC"
done
for cxx in "$CXX" "$CLANGXX"; do
    have "$cxx" && run "$cxx: $SRC as C++ (extmem)" \
        $cxx $CXXWARN -fsyntax-only -x c++ -Iinclude -DXM_USE_EXTMEM "$SRC"
done

if have "$MINGW_CC"; then
    run "$MINGW_CC: $SRC (mingw-w64 D3D11)" $MINGW_CC $CWARN -fsyntax-only "$SRC"
else
    skip "$MINGW_CC not installed: $SRC not checked against real D3D11 (Debian: gcc-mingw-w64-x86-64)"
fi
if have "$MINGW_CXX"; then
    run "$MINGW_CXX: $SRC as C++ (mingw-w64 D3D11)" $MINGW_CXX $CXXWARN -fsyntax-only -x c++ "$SRC"
else
    skip "$MINGW_CXX not installed: C++ variant not checked against real D3D11 (Debian: g++-mingw-w64-x86-64)"
fi

# ---- 3. every value and IID against mingw-w64 ---------------------------
# Names come from our headers; a native program prints each value, and
# mingw then asserts the same value for the same name under real D3D11.
# A name D3D11 lacks fails too.
if ! have "$MINGW_CC" || [ ! -f "$MINGW_INCLUDE/d3d11_4.h" ]; then
    skip "values and IIDs: mingw-w64 compiler or headers missing"
elif ! have "$CC"; then
    skip "values and IIDs: $CC not installed"
else
    for h in $HEADERS; do
        # Enumerators ("    NAME = value,") and object-like macros with a
        # value. Excluded: our own EXTMEM_* helpers, and INVALID_HANDLE_VALUE
        # (a pointer, not an integer constant).
        sed -n -e 's/^[[:space:]]\{1,\}\([A-Z][A-Z0-9_]*\)[[:space:]]*=.*/\1/p' \
               -e 's/^#define[[:space:]]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]\{1,\}[^[:space:]].*/\1/p' \
            "include/extmem/$h"
    done | grep -v -e '^EXTMEM_' -e '^INVALID_HANDLE_VALUE$' | sort -u >"$tmp/names"

    {
        echo '#include <stdio.h>'
        echo '#include <extmem/d3d11.h>'
        echo 'int main(void)'
        echo '{'
        while read -r n; do
            printf '    printf("XM_SAME(%s, %%lldLL);\\n", (long long)(%s));\n' "$n" "$n"
        done <"$tmp/names"
        echo '    return 0;'
        echo '}'
    } >"$tmp/values.c"
    run "$CC: print our values" $CC -std=gnu11 -w -Iinclude "$tmp/values.c" -o "$tmp/values"
    if [ -x "$tmp/values" ]; then
        {
            echo '#define COBJMACROS'
            echo '#include <windows.h>'
            echo '#include <d3d11_4.h>'
            echo '#include <dxgi1_2.h>'
            echo '#define XM_SAME(name, value) _Static_assert((long long)(name) == (value), #name " differs from D3D11")'
            "$tmp/values"
        } >"$tmp/same.c"
        run "$MINGW_CC: $(wc -l <"$tmp/names") constants equal D3D11's" \
            $MINGW_CC -std=gnu11 -fsyntax-only "$tmp/same.c"
    fi

    # IIDs: mingw's DEFINE_GUID lines become a table; each IID our headers
    # declare (linked from guids.c, so a missing definition fails the link)
    # must be in it with the same bytes.
    sed -n 's/.*extern const IID \(IID_[A-Za-z0-9_]*\);.*/\1/p' include/extmem/*.h | sort -u >"$tmp/iids"
    # Only the DEFINE_GUIDs of those names, so odd lines elsewhere in
    # mingw-w64 cannot break the table.
    sed 's/.*/^DEFINE_GUID(&,/' "$tmp/iids" >"$tmp/iid_patterns"
    grep -h -f "$tmp/iid_patterns" "$MINGW_INCLUDE"/*.h |
        sed -e 's/[lL]\([,)]\)/\1/g' -e 's/);.*/)/' >"$tmp/ref_guids.inc" || true
    {
        cat <<'C'
#include <stdio.h>
#include <string.h>
#include <extmem/d3d11.h>
#define DEFINE_GUID(n, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    {#n, {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}},
static const struct { const char *name; GUID guid; } ref[] = {
#include "ref_guids.inc"
};
static const struct { const char *name; const IID *iid; } ours[] = {
C
        sed 's/.*/    {"&", \&&},/' "$tmp/iids"
        cat <<'C'
};
int main(void)
{
    size_t i, j;
    int bad = 0;

    for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        for (j = 0; j < sizeof(ref) / sizeof(ref[0]); j++)
            if (!strcmp(ours[i].name, ref[j].name))
                break;
        if (j == sizeof(ref) / sizeof(ref[0])) {
            printf("%s: not in mingw-w64\n", ours[i].name);
            bad = 1;
        } else if (!IsEqualGUID(ours[i].iid, &ref[j].guid)) {
            printf("%s: differs from mingw-w64\n", ours[i].name);
            bad = 1;
        }
    }
    return bad;
}
C
    } >"$tmp/iids.c"
    run "$CC: build IID check" $CC -std=gnu11 -w -Iinclude -I"$tmp" "$tmp/iids.c" src/core/guids.c -o "$tmp/iids_check"
    [ -x "$tmp/iids_check" ] && run "$(wc -l <"$tmp/iids") IIDs equal D3D11's" "$tmp/iids_check"
fi

if [ "$failed" -ne 0 ]; then
    echo "check-d3d11-headers: FAILED"
    exit 1
fi
echo "check-d3d11-headers: all passed"
