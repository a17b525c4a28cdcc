#!/bin/sh
# Recreates the local git dependency at /tmp/gitdep with the exact commit id locked in Cargo.lock
# (fixed author/committer/dates make the commit ids deterministic).
set -e
rm -rf /tmp/gitdep && mkdir -p /tmp/gitdep/src && cd /tmp/gitdep
export GIT_AUTHOR_NAME=fixture GIT_AUTHOR_EMAIL=fixture@example.invalid GIT_COMMITTER_NAME=fixture GIT_COMMITTER_EMAIL=fixture@example.invalid
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git init -q -b main
printf '[package]\nname = "gitdep"\nversion = "0.4.2"\nedition = "2021"\n\n[dependencies]\nitoa = "1"\n' > Cargo.toml
echo 'pub fn hi() {}' > src/lib.rs
git add -A && git -c commit.gpgsign=false commit -qm init
git rev-parse HEAD
