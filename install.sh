#!/bin/sh
# Install git-wo so that `git wo …` works, and its man pages so that `git help wo`
# and `git wo --help` work. The root is PREFIX, else cargo's own install root:
# CARGO_INSTALL_ROOT, else CARGO_HOME, else ~/.cargo (whose bin/ is already on PATH
# and whose share/man is found by man(1) through it).
set -eu
cd "$(dirname "$0")"
PREFIX="${PREFIX:-${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}}"
cargo install --locked --force --path . --root "$PREFIX"
mkdir -p "$PREFIX/share/man/man1"
cp man/*.1 "$PREFIX/share/man/man1/"
case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) echo "install.sh: add $PREFIX/bin to PATH so that git finds git-wo" >&2 ;;
esac
echo "installed: $PREFIX/bin/git-wo and $(ls man/*.1 | wc -l) man pages in $PREFIX/share/man/man1"
