// node --test web/src/answer.test.mjs: the browser's answer rule against the shared test vectors.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import test from 'node:test';
import {answer} from './answer.js';

const vectors = JSON.parse(readFileSync(new URL('../../tests/core/answer_vectors.json', import.meta.url)));
const rule = JSON.parse(readFileSync(new URL('../../tests/core/answer_rules.json', import.meta.url)))[vectors.rule];

test('every expression of the vectors has its answer', () => {
  for (const [text, expected] of vectors.answers) assert.equal(answer(text, rule), expected, text);
});

test('the ones that must not parse have none', () => {
  for (const text of vectors.no_answer) assert.equal(answer(text, rule), null, text);
});
