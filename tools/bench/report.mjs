// Turns the JSON lines of one bench run into results/latest.json and results/latest.md: every measurement, and for
// each suite/case/metric the ratio of OnnxTransfer against each peer measured in the same run ("× better": > 1 means
// OnnxTransfer is better whichever direction the metric goes), with the goal the issue set for it.
import fs from 'fs';
import os from 'os';
import { execSync } from 'child_process';

const [rawPath, outDir, readmeFlag, readmeMarker = 'bench'] = process.argv.slice(2);
const lines = fs.readFileSync(rawPath, 'utf8').split('\n').filter(l => l.startsWith('{'));
// A measurement taken in several rounds (run.sh alternates OnnxTransfer and its peer, so neither always runs first on a
// machine whose speed drifts) counts once, as the median of its rounds; the rounds stay in its details.
const rounds = new Map();
for (const r of lines.map(l => JSON.parse(l))) {
  const key = [r.suite, r.case, r.impl, r.metric].join('\u0000');
  if (!rounds.has(key)) rounds.set(key, []);
  rounds.get(key).push(r);
}
const median = values => { const v = [...values].sort((x, y) => x - y); return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2; };
const results = [...rounds.values()].map(group => group.length === 1 ? group[0]
  : { ...group[0], value: median(group.map(r => r.value)),
      details: { ...group[0].details, rounds: group.map(r => fmtRound(r.value)).join(' '), value: `median of ${group.length} rounds` } });
function fmtRound(v) { return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3); }

// Derived: two stages sharing the same cores can reach at most 1/(1/decode + 1/inference) images/s, each measured alone
// on all cores in this run; the pipeline is compared with that limit.
const isStageAlone = r => r.suite === 'extract' && (r.impl === 'decode alone' || r.impl === 'backbone alone');
for (const kase of new Set(results.filter(r => r.suite === 'extract').map(r => r.case))) {
  const decode = results.find(r => r.case === kase && r.suite === 'extract' && r.impl === 'decode alone');
  const backbone = results.find(r => r.case === kase && r.suite === 'extract' && r.impl === 'backbone alone');
  if (decode && backbone)
    results.push({ suite: 'extract', case: kase, impl: 'stage limit', metric: 'images/s', lower_is_better: false,
      value: 1 / (1 / decode.value + 1 / backbone.value),
      details: { derived: `1/(1/${decode.value.toFixed(1)} + 1/${backbone.value.toFixed(1)})` } });
}

// Derived: the default MLP head is compared with the default softmax head of the same data (same run).
for (const mlp of results.filter(r => r.suite === 'train' && r.impl === 'onnxtransfer' && / --head mlp$/.test(r.case) && /accuracy/.test(r.metric))) {
  const softmax = results.find(r => r.suite === 'train' && r.impl === 'onnxtransfer' && r.metric === mlp.metric && r.case === mlp.case.replace(/--head mlp$/, '--head softmax'));
  if (softmax) results.push({ ...softmax, case: mlp.case, impl: 'onnxtransfer softmax head' });
}

// Derived: issue 16's absolute goal for the default softmax head on the 60k set, ≤ 60 s wall on 2 cores (wall time is
// only meaningful on a quiet machine; the CPU seconds rows beside it hold up under load).
for (const r of results.filter(r => r.suite === 'train' && r.impl === 'onnxtransfer' && /^60000 .*--head softmax$/.test(r.case) && /wall seconds/.test(r.metric)))
  results.push({ ...r, impl: '60 s budget', value: 60, details: { derived: 'issue 16: default softmax train ≤ 60 s on 2 cores' } });

// Goals from the issues: ratio = OnnxTransfer's advantage (> 1 better), per suite and metric.
const goals = [
  { suite: 'runtime', metric: /median/, impl: 'onnxruntime-node', min: 1 / 1.02, text: 'time ≤ 1.02× onnxruntime-node' },
  { suite: 'parquet', metric: /GB\/s/, impl: 'duckdb', min: 1, text: '≥ DuckDB' },
  { suite: 'parquet', metric: /GB\/s/, impl: 'File.ReadAllBytes', min: 0.5, caseMatch: /uncompressed/, text: 'within 2× of a plain read' },
  { suite: 'parquet', metric: /GB\/s/, impl: 'plain read, reused buffer', min: 0.5, caseMatch: /uncompressed/, text: 'within 2× of a plain read' },
  { suite: 'extract', metric: /images\/s/, impl: /tuned/, caseMatch: /mobilenet/i, min: 4, text: '≥ 4× PyTorch (tuned)' },
  { suite: 'extract', metric: /images\/s/, impl: /tuned/, caseMatch: /resnet/i, min: 1.7, text: '≥ 1.7× PyTorch (tuned)' },
  { suite: 'extract', metric: /images\/s/, impl: 'stage limit', min: 0.9, text: '≥ 0.9 of 1/(1/decode+1/inference)' },
  { suite: 'train', metric: /sweep/, impl: /scikit/, caseMatch: /50000/, min: 20, text: '≥ 20× scikit-learn' },
  { suite: 'train', metric: /epoch/, impl: /tuned/, caseMatch: /50000/, min: 2, text: '≥ 2× tuned PyTorch' },
  { suite: 'train', metric: /accuracy/, impl: /scikit/, min: 1, text: 'not below scikit-learn' },
  { suite: 'train', metric: /accuracy/, impl: /^pytorch$/, caseMatch: /--head mlp/, min: 1, text: 'MLP not below the PyTorch MLP' },
  { suite: 'train', metric: /accuracy/, impl: 'onnxtransfer softmax head', min: 1, text: 'MLP ≥ the softmax head' },
  { suite: 'train', metric: /wall seconds/, impl: '60 s budget', min: 1, text: '≤ 60 s on 2 cores (quiet machine)' },
  { suite: 'inference', metric: /median|images\/s/, impl: 'backbone alone', min: 1 / 1.03, text: 'fused within 3% of backbone alone' },
  { suite: 'score', metric: /images\/s/, impl: 'extract', min: 0.9, text: 'score ≥ 0.9× extract' },
  { suite: 'fewshot', metric: /accuracy/, impl: /^scikit-learn /, min: 1, text: '≥ scikit-learn on the same draws' },
  { suite: 'fewshot', metric: /accuracy/, impl: 'random picks', caseMatch: /mean over/, min: 1, text: 'suggest > random picks', strict: true },
];
const matches = (pattern, value) => pattern === undefined || (pattern instanceof RegExp ? pattern.test(value) : pattern === value);
const goalFor = (r, peer) => goals.find(g => g.suite === r.suite && matches(g.metric, r.metric) && matches(g.impl, peer) && matches(g.caseMatch, r.case));

const ours = results.filter(r => r.impl === 'onnxtransfer');
const comparisons = [];
for (const r of ours) {
  for (const p of results.filter(x => x.suite === r.suite && x.case === r.case && x.metric === r.metric && x.impl !== 'onnxtransfer' && !isStageAlone(x))) {
    const ratio = r.lower_is_better ? p.value / r.value : r.value / p.value;
    const goal = goalFor(r, p.impl);
    comparisons.push({ suite: r.suite, case: r.case, metric: r.metric, ours: r.value, peer: p.impl, peer_value: p.value,
      ratio, goal: goal?.text ?? null, goal_met: goal ? (goal.strict ? ratio > goal.min : ratio >= goal.min) : null });
  }
}

const sh = cmd => { try { return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; } };
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
  memory_gib: Math.round(os.totalmem() / 2 ** 30), os: sh('. /etc/os-release && echo "$PRETTY_NAME"'), kernel: os.release(),
  dotnet: sh('dotnet --version'), node: process.version, python: sh('/usr/bin/python3 --version'),
  torch: sh('/usr/bin/python3 -c "import torch; print(torch.__version__)"'),
  sklearn: sh('/usr/bin/python3 -c "import sklearn; print(sklearn.__version__)"'),
  // The version the build pins (Directory.Packages.props), which is the library every bench binary loads.
  onnxruntime: fs.readFileSync(new URL('../../Directory.Packages.props', import.meta.url), 'utf8')
    .match(/"Microsoft\.ML\.OnnxRuntime" Version="([^"]+)"/)?.[1] ?? 'unknown',
  date: new Date().toISOString(),
};

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(`${outDir}/latest.json`, JSON.stringify({ machine, results, comparisons }, null, 2) + '\n');

const fmt = v => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3));
let md = `# Benchmark results\n\nProduced by \`tools/bench/run.sh\` on ${machine.date.slice(0, 10)}: ${machine.cpu}, ${machine.cores} cores, ` +
  `${machine.memory_gib} GiB, ${machine.os}; .NET ${machine.dotnet}, Node ${machine.node}, ${machine.python}, torch ${machine.torch}, ` +
  `scikit-learn ${machine.sklearn}, ONNX Runtime ${machine.onnxruntime}. Every number comes from the same run; ratios are ` +
  `OnnxTransfer's advantage (> 1 = better, whichever way the metric goes).\n\n`;
md += '| suite | case | metric | OnnxTransfer | peer | peer value | ratio | goal |\n|---|---|---|---|---|---|---|---|\n';
for (const c of comparisons)
  md += `| ${c.suite} | ${c.case} | ${c.metric} | ${fmt(c.ours)} | ${c.peer} | ${fmt(c.peer_value)} | ${c.ratio.toFixed(2)}× | ${c.goal ? `${c.goal}: ${c.goal_met ? 'met' : '**not met**'}` : ''} |\n`;
const unpaired = ours.filter(r => !comparisons.some(c => c.suite === r.suite && c.case === r.case && c.metric === r.metric));
const context = [...unpaired, ...results.filter(isStageAlone)];
if (context.length) {
  md += '\nOther measurements of this run (context for the ratios above):\n\n| suite | case | what | metric | value |\n|---|---|---|---|---|\n';
  for (const r of context) md += `| ${r.suite} | ${r.case} | ${r.impl} | ${r.metric} | ${fmt(r.value)} |\n`;
}
const withRss = results.filter(r => r.suite === 'extract' && r.details?.peak_rss_mib);
if (withRss.length) {
  md += '\nPeak resident memory of the extract runs (MiB; PyTorch also lists its DataLoader workers):\n\n| case | what | peak RSS |\n|---|---|---|\n';
  for (const r of withRss) md += `| ${r.case} | ${r.impl} | ${r.details.peak_rss_mib} |\n`;
}
fs.writeFileSync(`${outDir}/latest.md`, md);

// The README's benchmark table is this run's table, so every number there comes from here.
const readmePath = new URL('../../README.md', import.meta.url);
const readme = fs.readFileSync(readmePath, 'utf8');
const start = `<!-- ${readmeMarker}:start -->`, end = `<!-- ${readmeMarker}:end -->`;
if (readmeFlag === '--readme' && readme.includes(start) && readme.includes(end)) {
  const body = md.replace(/^# Benchmark results\n\n/, '');
  fs.writeFileSync(readmePath, readme.slice(0, readme.indexOf(start) + start.length) + '\n' + body + readme.slice(readme.indexOf(end)));
}
console.log(md);
