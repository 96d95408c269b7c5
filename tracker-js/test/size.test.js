// The shipped tag: size budget and a reproducible build.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const zlib = require('zlib');
const { build, OUT } = require('../scripts/build.js');

const BUDGET = 1536; // bytes, gzip -9 of dist/tracker.min.js (hard limit)

test(`dist/tracker.min.js gzips (level 9) to at most ${BUDGET} bytes`, () => {
  const gz = zlib.gzipSync(fs.readFileSync(OUT), { level: 9 }).length;
  assert.ok(gz <= BUDGET, `gzip size ${gz} > ${BUDGET}`);
});

test('dist/tracker.min.js is plain ASCII (correct whatever charset it is served as)', () => {
  const buf = fs.readFileSync(OUT);
  assert.ok(buf.every((b) => b < 0x80));
});

test('rebuilding from src/ gives the committed dist/tracker.min.js byte for byte', async () => {
  const rebuilt = await build();
  const committed = fs.readFileSync(OUT, 'utf8');
  assert.ok(rebuilt === committed, 'dist/tracker.min.js is stale or the build is not reproducible: run `npm run build`');
});
