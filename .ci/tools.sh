# Sourced by .ci/run: the tools some tests drive, pinned, installed before `cargo test`
# (never at test time). Under CI=true a test whose tool is missing fails; elsewhere it
# prints "SKIPPED (…)". Safe to source again: what is there is kept.
#
# - prek (the pre-commit framework, tests/hooks.rs): from PyPI into target/ci-tools.
# - util-linux `script` (a pseudo-terminal: tests/progress.rs, tests/usability.rs),
#   bash-completion's git script (tests/usability.rs) and jq (the weekly gate workflow's
#   summary, tests/migrate.rs): Debian packages.
PREK_VERSION=0.5.11
ci_tools="$(pwd)/target/ci-tools"
if ! "$ci_tools/prek/bin/prek" --version 2>/dev/null | grep -q "$PREK_VERSION"; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --upgrade \
        --target "$ci_tools/prek" "prek==$PREK_VERSION"
fi
export PATH="$ci_tools/prek/bin:$PATH"
missing=()
command -v script >/dev/null || missing+=(bsdutils)
[ -f /usr/share/bash-completion/completions/git ] || missing+=(bash-completion)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo ".ci/tools.sh: missing ${missing[*]} (install them, or run as root)" >&2
    fi
fi
