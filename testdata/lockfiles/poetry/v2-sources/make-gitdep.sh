#!/bin/sh
# Recreates the local git dependency at /tmp/pygitdep-poetry with the exact commit id locked in
# poetry.lock (fixed author/committer/dates make the commit id deterministic).
set -e
rm -rf /tmp/pygitdep-poetry && mkdir -p /tmp/pygitdep-poetry/gitpkg && cd /tmp/pygitdep-poetry
export GIT_AUTHOR_DATE="2026-12-02T00:00:00Z" GIT_COMMITTER_DATE="2026-12-02T00:00:00Z"
printf '[project]\nname = "gitpkg"\nversion = "1.2.0"\ndescription = "a git dependency"\nrequires-python = ">=3.9"\n\n[build-system]\nrequires = ["poetry-core>=2.0"]\nbuild-backend = "poetry.core.masonry.api"\n' > pyproject.toml
echo '' > gitpkg/__init__.py
git init -q -b main
git add . && git -c user.name=fixture -c user.email=fixture@example.invalid -c commit.gpgsign=false commit -qm init
git rev-parse HEAD
