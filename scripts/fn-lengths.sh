#!/bin/sh
# List Rust functions by length (lines from `fn` to its closing brace), longest first.
#   scripts/fn-lengths.sh [MIN] [PATH...]   (default: MIN 1, PATH src/ops)
# Relies on rustfmt's layout: a function ends at the first `}` line indented like its
# `fn` line. Test modules (`#[cfg(test)]` to the end of the file) are skipped.
min=${1:-1}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- src/ops
find "$@" -name '*.rs' | sort | xargs awk -v min="$min" '
FNR == 1 { depth = 0; skip = 0 }
/^#\[cfg\(test\)\]/ { skip = 1 }
skip { next }
depth == 0 && match($0, /^ *((pub(\([a-z]+\))? )?(const )?(async )?(unsafe )?fn [A-Za-z0-9_]+)/) {
    if ($0 ~ /[;}] *$/ && $0 !~ /\{ *$/) next
    line = $0; sub(/^ */, "", line); indent = length($0) - length(line)
    name = line; sub(/^.*fn /, "", name); sub(/[^A-Za-z0-9_].*$/, "", name)
    start = FNR; depth = 1; closing = sprintf("%" indent "s}", ""); next
}
depth == 1 && $0 == closing {
    n = FNR - start + 1
    if (n >= min) printf "%5d %s:%d %s\n", n, FILENAME, start, name
    depth = 0
}
' | sort -rn
