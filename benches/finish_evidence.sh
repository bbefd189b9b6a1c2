#!/usr/bin/env bash
# The cost of the evidence bundle at `git wo finish` on a WO with N changed files
# (default 1000): times the `finish: evidence` phase (GIT_WO_TRACE) and the whole finish.
# Usage: benches/finish_evidence.sh [GIT_WO_BINARY] [N]
set -euo pipefail
bin=${1:-target/release/git-wo}
bin=$(realpath "$bin")
n=${2:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp
git init -q -b main "$tmp/repo"
cd "$tmp/repo"
git config user.name bench && git config user.email bench@example.com
git config wo.gate.hooks none && git config wo.worktreeDir ../.worktrees
mkdir -p _ctx/jobs/{pending,running,done,failed} _ctx/dod
cat > _ctx/dod/dod.yaml <<'Y'
dod:
  - id: DOD-STD
    title: bench
    required_artifacts: [verify.log, diff.patch, verdict.json, handoff.md, tests.log]
    required_checks:
      - name: tests
        commands: ["true"]
Y
printf 'version: 1\nid: WO-0001\nepic_id: E\ntitle: bench\npriority: P2\nstatus: pending\ndod_id: DOD-STD\nexecution: {mode: agent}\nverify:\n  commands: ["true"]\n' > _ctx/jobs/pending/WO-0001.yaml
git add -A && git commit -q -m base
"$bin" init >/dev/null
"$bin" take WO-0001 >/dev/null
cd ../.worktrees/WO-0001
mkdir -p src
for i in $(seq 1 "$n"); do
  printf 'line one of file %s\nline two\nline three\n' "$i" > "src/f$i.txt"
done
git add -A && git commit -q -m "change $n files"
start=$(date +%s%N)
GIT_WO_TRACE=1 "$bin" finish WO-0001 --result done --keep-worktree 2> "$tmp/trace" >/dev/null
end=$(date +%s%N)
grep 'finish: evidence' "$tmp/trace" || { cat "$tmp/trace"; exit 1; }
echo "whole finish: $(( (end - start) / 1000000 )) ms ($n changed files)"
cd "$tmp/repo"
git ls-tree -r -l refs/wo/orders/WO-0001 | awk '{print $4, $5}'
