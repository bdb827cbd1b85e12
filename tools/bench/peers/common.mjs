// Shared by the Node peers: argument parsing, the same timing method as OnnxTransfer.Bench's Measurement
// (warm-up, then each run timed on its own; median and nearest-rank p99), and the JSON-line result shape.
export function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

export async function measure(warmup, iterations, action) {
  for (let i = 0; i < warmup; i++) await action();
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await action();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const pct = p => times[Math.min(times.length - 1, Math.max(0, Math.ceil(p * times.length) - 1))];
  return { median: pct(0.5), p99: pct(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

export function result(suite, kase, impl, metric, value, lowerIsBetter, details) {
  const line = { suite, case: kase, impl, metric, value: Math.round(value * 1e6) / 1e6, lower_is_better: lowerIsBetter };
  if (details) line.details = details;
  console.log(JSON.stringify(line));
}
