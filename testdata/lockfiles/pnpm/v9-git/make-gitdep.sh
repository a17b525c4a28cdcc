#!/bin/sh
# Recreates the local git dependency at /tmp/pnpmgitdep with the exact commit id locked in pnpm-lock.yaml
# (fixed author/committer/dates make the commit id deterministic).
set -e
rm -rf /tmp/pnpmgitdep && mkdir -p /tmp/pnpmgitdep && cd /tmp/pnpmgitdep
export GIT_AUTHOR_NAME=fixture GIT_AUTHOR_EMAIL=fixture@example.invalid GIT_COMMITTER_NAME=fixture GIT_COMMITTER_EMAIL=fixture@example.invalid
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git init -q -b main
printf '{\n  "name": "pnpmgitdep",\n  "version": "0.4.2",\n  "license": "MIT",\n  "main": "index.js",\n  "dependencies": {\n    "is-number": "^7.0.0"\n  }\n}\n' > package.json
echo 'module.exports = 42;' > index.js
git add -A && git -c commit.gpgsign=false commit -qm init
git rev-parse HEAD
