#!/usr/bin/env node
// Reference SemVer 2.0.0 precedence for supply's property tests: npm's `semver`, pinned in
// package-lock.json (install with `npm ci --prefix tests/oracles`).
//
//     node semver.js < pairs        (lines: `A B`, the two versions separated by one space)
//
// prints, per input line, `-1`, `0` or `1`, `semver.compare(A, B)`, or `E` when either is not
// a strict SemVer version (`semver.valid(x)` is null) or the line is not two fields. compare
// is SemVer precedence: build metadata is ignored. Fields are split at the one space only;
// lines end at `\n` only. Output is written after every line, so the script can be driven
// line by line.
'use strict'

const semver = require('semver')

function compare (line) {
  const fields = line.split(' ')
  if (fields.length !== 2) {
    return 'E'
  }
  const [a, b] = fields
  if (semver.valid(a) === null || semver.valid(b) === null) {
    return 'E'
  }
  return String(semver.compare(a, b))
}

let pending = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  pending += chunk
  const lines = pending.split('\n')
  pending = lines.pop()
  if (lines.length > 0) {
    process.stdout.write(lines.map((line) => compare(line) + '\n').join(''))
  }
})
process.stdin.on('end', () => {
  if (pending !== '') {
    process.stdout.write(compare(pending) + '\n')
  }
})
