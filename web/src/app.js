// The page: choose, drop or paste a captcha -> its text, confidence, per-character confidences and
// the read's time, with a switch between the exported TFLite variants. Sets window.readCaptcha.

import {CaptchaReader} from './captcha.js';

const params = new URLSearchParams(location.search);
const MODELS = new URL(params.get('models') ?? '../exported/', location.href);
const WASM = new URL('wasm/', import.meta.url).href;
const $ = (id) => document.getElementById(id);

let reader = null;

/** readCaptcha(bytes: Uint8Array) -> Promise<{text, confidence, characters}> with the loaded model. */
export async function readCaptcha(bytes) {
  return reader.read(bytes);
}

/** The model's per-step probabilities for one image file, a Float32Array (timeSteps x classes). */
export async function readCaptchaProbabilities(bytes) {
  return reader.probabilities(bytes);
}

async function useVariant(variant) {
  $('status').textContent = `loading ${variant}…`;
  const next = await CaptchaReader.load({models: MODELS, wasm: WASM, variant});
  reader?.delete();
  reader = next;
  window.readCaptcha = readCaptcha;
  window.readCaptchaProbabilities = readCaptchaProbabilities;
  $('status').textContent = `${variant}: ${reader.card.variants[variant].file}, ready`;
  document.body.dataset.ready = 'true';
}

async function show(bytes) {
  $('preview').src = URL.createObjectURL(new Blob([bytes]));
  const started = performance.now();
  try {
    const {text, confidence, characters} = await reader.read(bytes);
    const milliseconds = performance.now() - started;
    $('text').textContent = text || '(nothing read)';
    $('confidence').textContent = `confidence ${confidence.toFixed(3)} · ${milliseconds.toFixed(1)} ms`;
    $('characters').replaceChildren(...characters.map(({char, confidence}) => {
      const cell = document.createElement('span');
      cell.className = 'character';
      cell.innerHTML = `<b></b><small>${confidence.toFixed(2)}</small>`;
      cell.querySelector('b').textContent = char;
      return cell;
    }));
  } catch (error) {
    $('text').textContent = '';
    $('confidence').textContent = `not a readable image (${error.message})`;
    $('characters').replaceChildren();
  }
}

async function showFile(file) {
  if (file) await show(new Uint8Array(await file.arrayBuffer()));
}

async function main() {
  const card = await (await fetch(new URL('model_card.json', MODELS))).json();
  const select = $('variant');
  for (const name of CaptchaReader.tfliteVariants(card)) select.add(new Option(name, name));
  select.value = 'decoded';
  select.addEventListener('change', () => useVariant(select.value));
  $('file').addEventListener('change', (event) => showFile(event.target.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (event) => event.preventDefault());
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    showFile(event.dataTransfer.files[0]);
  });
  document.addEventListener('paste', (event) => {
    const item = [...event.clipboardData.items].find((entry) => entry.type.startsWith('image/'));
    if (item) showFile(item.getAsFile());
  });
  await useVariant(select.value);
}

main().catch((error) => {
  $('status').textContent = `could not load the model: ${error.message}`;
});
