// Answer rules in the browser: the same grammar as keras_captcha/core/answers.py, following the rule's data
// from the model card (config.answer). Both are tested against tests/core/answer_vectors.json.

function tokens(text, rule) {
  let kept = [...text].filter((char) => !rule.ignored.includes(char)).join('');
  for (const ending of rule.endings) {
    if (kept.endsWith(ending)) { kept = kept.slice(0, -ending.length); break; }
  }
  const found = [];
  let digits = '';
  for (const char of kept) {
    if (char >= '0' && char <= '9') { digits += char; continue; }
    if (digits) { found.push(Number(digits)); digits = ''; }
    if (!(char in rule.operators) || found.length === 0 || typeof found[found.length - 1] === 'string') return null;
    found.push(rule.operators[char]);
  }
  if (digits) found.push(Number(digits));
  return found;
}

function apply(values, operation) {
  const right = values.pop(), left = values.pop();
  if (operation === 'add') values.push(left + right);
  else if (operation === 'subtract') values.push(left - right);
  else if (operation === 'multiply') values.push(left * right);
  else if (right === 0 || left % right !== 0) return false;
  else values.push(left / right);
  return true;
}

// The integer `text` evaluates to under `rule`, or null when it has none (never throws).
export function answer(text, rule) {
  const found = tokens(text, rule);
  if (found === null || found.length < 3 || found.length % 2 === 0) return null;  // one operator at least
  const values = [found[0]], pending = [];
  for (let index = 1; index < found.length; index += 2) {
    const operation = found[index];
    while (pending.length && rule.precedence[pending[pending.length - 1]] >= rule.precedence[operation]) {
      if (!apply(values, pending.pop())) return null;
    }
    pending.push(operation);
    values.push(found[index + 1]);
  }
  while (pending.length) if (!apply(values, pending.pop())) return null;
  return values[0];
}
