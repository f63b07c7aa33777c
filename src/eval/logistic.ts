// L2-regularised logistic regression on standardised features, fitted by full-batch gradient
// descent with Nesterov momentum: the "supervised probe" upper reference of the defection-probe
// report (fitted on labelled activations, so it shows how linearly separable the conditions are
// at all). Not here: choosing features or scoring (probes.ts, statistics.ts).

export interface LogisticModel {
  /** standardisation applied before the weights */
  mean: Float64Array;
  scale: Float64Array;
  weights: Float64Array;
  bias: number;
}

/** rows: (n, width) row-major; labels 1 = positive. */
export function fitLogistic(rows: Float32Array, labels: readonly number[], width: number,
  options: { l2?: number; iterations?: number; learningRate?: number } = {}): LogisticModel {
  const n = labels.length;
  const l2 = options.l2 ?? 1e-2, iterations = options.iterations ?? 300, lr = options.learningRate ?? 0.5;
  const mean = new Float64Array(width), scale = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let c = 0; c < width; c++) mean[c] += rows[i * width + c] / n;
  for (let i = 0; i < n; i++) for (let c = 0; c < width; c++) scale[c] += (rows[i * width + c] - mean[c]) ** 2 / n;
  for (let c = 0; c < width; c++) scale[c] = scale[c] > 1e-12 ? 1 / Math.sqrt(scale[c]) : 0;
  const x = new Float64Array(n * width);
  for (let i = 0; i < n; i++) for (let c = 0; c < width; c++) x[i * width + c] = (rows[i * width + c] - mean[c]) * scale[c];

  const weights = new Float64Array(width), velocity = new Float64Array(width + 1), look = new Float64Array(width);
  let bias = 0;
  const gradient = new Float64Array(width);
  for (let step = 0; step < iterations; step++) {
    for (let c = 0; c < width; c++) look[c] = weights[c] + 0.9 * velocity[c];
    const lookBias = bias + 0.9 * velocity[width];
    gradient.fill(0);
    let biasGradient = 0;
    for (let i = 0; i < n; i++) {
      let z = lookBias;
      for (let c = 0; c < width; c++) z += look[c] * x[i * width + c];
      const error = 1 / (1 + Math.exp(-z)) - labels[i];
      for (let c = 0; c < width; c++) gradient[c] += (error * x[i * width + c]) / n;
      biasGradient += error / n;
    }
    for (let c = 0; c < width; c++) {
      velocity[c] = 0.9 * velocity[c] - lr * (gradient[c] + l2 * look[c]);
      weights[c] += velocity[c];
    }
    velocity[width] = 0.9 * velocity[width] - lr * biasGradient;
    bias += velocity[width];
  }
  return { mean, scale, weights, bias };
}

/** Decision scores (logits) for rows (n, width). */
export function logisticScores(model: LogisticModel, rows: Float32Array, width: number): Float64Array {
  const n = rows.length / width;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = model.bias;
    for (let c = 0; c < width; c++) z += model.weights[c] * (rows[i * width + c] - model.mean[c]) * model.scale[c];
    scores[i] = z;
  }
  return scores;
}
