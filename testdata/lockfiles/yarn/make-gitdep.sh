#!/bin/sh
# Recreates the git dependency of yarn/v1-workspace and yarn/berry-workspace with the exact commit
# id locked there (fixed names and dates make it deterministic), and serves it as
# git://127.0.0.1:9418/gitdep (loopback only) until the daemon is stopped: kill "$(cat /tmp/yarngit/daemon.pid)".
set -e
rm -rf /tmp/yarngit && mkdir -p /tmp/yarngit/gitdep && cd /tmp/yarngit/gitdep
export GIT_AUTHOR_DATE="2026-12-02T00:00:00Z" GIT_COMMITTER_DATE="2026-12-02T00:00:00Z"
git init -q -b main
echo '{"name":"gitdep","version":"0.3.0"}' > package.json
git add . && git -c user.name=t -c user.email=t@e -c commit.gpgsign=false commit -qm init
git rev-parse HEAD   # f6e003860890af4aea5fe0bc39f47e54591ea5a8
git daemon --base-path=/tmp/yarngit --export-all --reuseaddr --listen=127.0.0.1 --port=9418 --detach --pid-file=/tmp/yarngit/daemon.pid
