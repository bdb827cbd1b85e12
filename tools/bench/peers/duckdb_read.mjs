// Peer for the parquet suite: DuckDB reading the embedding column of the same file into memory
// (materialised into a temporary table, all cores), timed the same way as our reader.
import { createRequire } from 'module';
import path from 'path';
import { fileURLToPath } from 'url';
import { args, measure, result } from './common.mjs';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../node/package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const a = args();
const iterations = Number(a.iterations ?? 5);
const label = a.label ?? path.basename(a.file, '.parquet');
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const file = a.file.replaceAll("'", "''");
const info = await c.runAndReadAll(`SELECT count(*)::BIGINT AS n, max(len(embedding))::BIGINT AS d FROM read_parquet('${file}')`);
const [rows, dim] = info.getRows()[0].map(Number);
const m = await measure(1, iterations, () => c.run(`CREATE OR REPLACE TEMP TABLE t AS SELECT embedding FROM read_parquet('${file}')`));
const rawBytes = rows * dim * 4;
result('parquet', label, 'duckdb', 'rows/s', rows / (m.median / 1000), false);
result('parquet', label, 'duckdb', 'GB/s (raw float bytes)', rawBytes / (m.median / 1000) / 1e9, false);
