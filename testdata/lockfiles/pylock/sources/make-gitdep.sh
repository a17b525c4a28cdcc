#!/bin/sh
# Recreates the local git dependency at /tmp/pygitdep with the exact commit id locked in uv.lock
# (fixed author/committer/dates make the commit id deterministic).
set -e
rm -rf /tmp/pygitdep && mkdir -p /tmp/pygitdep/src/pygitdep && cd /tmp/pygitdep
export GIT_AUTHOR_NAME=fixture GIT_AUTHOR_EMAIL=fixture@example.invalid GIT_COMMITTER_NAME=fixture GIT_COMMITTER_EMAIL=fixture@example.invalid
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git init -q -b main
printf '[project]\nname = "pygitdep"\nversion = "0.4.2"\nrequires-python = ">=3.9"\ndependencies = ["idna>=3"]\n\n[build-system]\nrequires = ["uv_build>=0.9,<0.14"]\nbuild-backend = "uv_build"\n' > pyproject.toml
: > src/pygitdep/__init__.py
git add -A && git -c commit.gpgsign=false commit -qm init
git tag v0.4.2
git rev-parse HEAD
