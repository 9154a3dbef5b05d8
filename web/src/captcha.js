// Reads captchas in the browser: the exported .tflite model on LiteRT.js (wasm, CPU), with the
// preprocessing and decoding the model card describes. Nothing is sent to a server.
//
//   const reader = await CaptchaReader.load({models: '../exported/', wasm: 'wasm/'});
//   const {text, confidence, characters} = await reader.read(bytes);  // bytes: Uint8Array of an image file
//
// The preprocessing follows card.config.normalisation as keras_captcha/preprocess.py does it:
// gray = channels weighted by gray_weights (float32), alpha over the background, then the
// antialiased bilinear resize (TensorFlow's triangle kernel) as two products summed in float64
// and rounded once to float32, so the model sees the very numbers the Python runtime feeds it.

import {answer} from './answer.js';
import {loadAndCompile, loadLiteRt, Tensor} from '@litertjs/core';

const f32 = Math.fround;

/** (outSize x inSize) weights of the antialiased bilinear resize, row-major, as preprocess.triangle_weights. */
export function triangleWeights(inSize, outSize) {
  const invScale = f32(inSize / outSize);
  const kernelScale = Math.max(invScale, 1);
  const weights = new Float64Array(outSize * inSize);
  for (let x = 0; x < outSize; x++) {
    const sample = f32(f32(x + 0.5) * invScale);
    const start = Math.min(Math.max(Math.ceil(f32(f32(sample - kernelScale) - 0.5)), 0), inSize - 1);
    const end = Math.min(Math.max(Math.floor(f32(f32(sample + kernelScale) - 0.5)), 0), inSize - 1) + 1;
    const row = [];
    for (let source = start; source < end; source++) {
      const distance = f32(Math.abs(f32(f32(f32(source + 0.5) - sample) / kernelScale)));
      row.push(Math.max(0, f32(1 - distance)));
    }
    const sum = numpyFloat32Sum(row);
    row.forEach((weight, i) => {
      weights[x * inSize + start + i] = sum > 0 ? f32(weight / sum) : weight;
    });
  }
  return weights;
}

/** numpy's float32 sum of a short array: pairwise, 8 accumulators from 8 values on (numpy's pairwise_sum). */
function numpyFloat32Sum(values) {
  if (values.length < 8) return values.reduce((sum, value) => f32(sum + value), 0);
  const partial = values.slice(0, 8);
  const whole = values.length - (values.length % 8);
  for (let i = 8; i < whole; i += 8) {
    for (let j = 0; j < 8; j++) partial[j] = f32(partial[j] + values[i + j]);
  }
  let sum = f32(f32(f32(partial[0] + partial[1]) + f32(partial[2] + partial[3])) +
      f32(f32(partial[4] + partial[5]) + f32(partial[6] + partial[7])));
  for (let i = whole; i < values.length; i++) sum = f32(sum + values[i]);
  return sum;
}

/** RGBA bytes (height x width x 4) -> gray float32 values, alpha over the background. */
export function toGray(rgba, width, height, normalisation) {
  const [red, green, blue] = normalisation.gray_weights.map((w) => f32(f32(w) * f32(1 / 255)));
  const scale = f32(1 / 255);
  const background = f32(normalisation.background);
  const gray = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const value = f32(f32(f32(rgba[4 * i] * red) + f32(rgba[4 * i + 1] * green)) + f32(rgba[4 * i + 2] * blue));
    const alpha = f32(rgba[4 * i + 3] * scale);
    gray[i] = f32(f32(value * alpha) + f32(background * f32(1 - alpha)));
  }
  return gray;
}

const weightCache = new Map();

/** The nonzero run of each output's weights: [{start, weights: Float64Array}], cached per size pair. */
function sparseWeights(inSize, outSize) {
  const key = `${inSize}>${outSize}`;
  if (!weightCache.has(key)) {
    const dense = triangleWeights(inSize, outSize);
    const runs = [];
    for (let out = 0; out < outSize; out++) {
      const row = dense.subarray(out * inSize, (out + 1) * inSize);
      let start = row.findIndex((weight) => weight !== 0);
      if (start < 0) start = 0;
      let end = inSize;
      while (end > start && row[end - 1] === 0) end--;
      runs.push({start, weights: row.slice(start, end)});
    }
    weightCache.set(key, runs);
  }
  return weightCache.get(key);
}

/** gray (height x width) -> (outHeight x outWidth) float32: rows @ gray @ columns^T in float64, clipped. */
export function resize(gray, width, height, outWidth, outHeight, [low, high]) {
  const rows = sparseWeights(height, outHeight);
  const columns = sparseWeights(width, outWidth);
  const partial = new Float64Array(outHeight * width);
  rows.forEach(({start, weights}, y) => {
    for (let k = 0; k < weights.length; k++) {
      const weight = weights[k];
      const source = (start + k) * width;
      for (let w = 0; w < width; w++) partial[y * width + w] += weight * gray[source + w];
    }
  });
  const out = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    columns.forEach(({start, weights}, x) => {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += partial[y * width + start + k] * weights[k];
      out[y * outWidth + x] = Math.min(Math.max(f32(sum), low), high);
    });
  }
  return out;
}

/** An image file's bytes -> {rgba, width, height}, pixels as stored (no colour management). */
export async function decodeImage(bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes]), {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', {willReadFrequently: true});
  context.drawImage(bitmap, 0, 0);  // native size: no canvas scaling
  const {data} = context.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return {rgba: data, width: canvas.width, height: canvas.height};
}

/** Greedy CTC decoding of (timeSteps x classes) probabilities, as keras_captcha.decode.greedy_decode. */
export function greedyDecode(probabilities, timeSteps, classes, charset, blankIndex) {
  let confidence = 1;
  let previous = blankIndex;
  const characters = [];
  for (let t = 0; t < timeSteps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities[t * classes + c] > probabilities[t * classes + best]) best = c;
    }
    const probability = probabilities[t * classes + best];
    confidence = Math.min(confidence, probability);
    if (best !== blankIndex && best !== previous) {
      characters.push({char: charset[best - blankIndex - 1], confidence: probability});
    }
    previous = best;
  }
  return {text: characters.map((c) => c.char).join(''), confidence, characters};
}

async function fetchOk(url, as) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return as === 'json' ? response.json() : new Uint8Array(await response.arrayBuffer());
}

let liteRtLoading = null;

/** One exported model with its card. */
export class CaptchaReader {
  static async load({models, wasm, variant = 'decoded'}) {
    liteRtLoading ??= loadLiteRt(wasm);
    await liteRtLoading;
    const card = await fetchOk(new URL('model_card.json', models), 'json');
    const entry = card.variants[variant];
    if (!entry || !entry.file.endsWith('.tflite')) throw new Error(`no TFLite variant '${variant}' in the model card`);
    const model = await loadAndCompile(await fetchOk(new URL(entry.file, models)), {accelerator: 'wasm'});
    return new CaptchaReader(card, model, variant);
  }

  constructor(card, model, variant) {
    this.card = card;
    this.model = model;
    this.variant = variant;
    this.config = card.config;
  }

  /** Variants a page can switch to: the card's TFLite files. */
  static tfliteVariants(card) {
    return Object.keys(card.variants).filter((name) => card.variants[name].file.endsWith('.tflite'));
  }

  /** An image file's bytes -> the model's input, (height x width) float32. */
  async preprocess(bytes) {
    const {rgba, width, height} = await decodeImage(bytes);
    const {normalisation} = this.config;
    const gray = toGray(rgba, width, height, normalisation);
    return resize(gray, width, height, this.config.width, this.config.height, normalisation.value_range);
  }

  /** An image file's bytes -> (timeSteps x classes) probabilities, a Float32Array. */
  async probabilities(bytes) {
    const image = new Tensor(await this.preprocess(bytes), [1, this.config.height, this.config.width, 1]);
    let outputs;
    try {
      outputs = await this.model.run({image});
      return outputs.probabilities.toTypedArray().slice();
    } finally {
      image.delete();
      if (outputs) Object.values(outputs).forEach((tensor) => tensor.delete());
    }
  }

  /** An image file's bytes -> {text, confidence, characters: [{char, confidence}]}, and `answer` (a number, or
   *  null when the text has none) for a model whose card carries an answer rule (config.answer). */
  async read(bytes) {
    const probabilities = await this.probabilities(bytes);
    const classes = this.config.charset.length + 1;
    const reading = greedyDecode(probabilities, probabilities.length / classes, classes, this.config.charset,
        this.card.vocabulary.blank_index);
    if (this.config.answer) reading.answer = answer(reading.text, this.config.answer);
    return reading;
  }

  delete() {
    this.model.delete();
  }
}
