// DuckDB oracle for the Parquet tests: runs SQL statements in one in-memory database and prints the last one's result.
// stdin: {"statements": ["SQL", ...], "all": false}
// stdout: {"columns": [...], "types": [...], "rows": [{...}, ...]} for the last statement, or {"results": [that, ...]}
// for every statement when "all" is true.
// Values are DuckDB's JSON forms: FLOAT/DOUBLE as numbers (exact: a float32 widened to double prints and parses back to
// itself), BIGINT and larger integers as strings, BLOB as strings, lists as arrays, NULL as null.
import { DuckDBInstance } from '@duckdb/node-api';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { statements, all } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
if (!Array.isArray(statements) || statements.length === 0) {
  console.error('expected {"statements": ["SQL", ...]} on stdin');
  process.exit(2);
}

const db = await DuckDBInstance.create(':memory:');
const connection = await db.connect();
const describe = (result) => ({
  columns: result.columnNames(),
  types: result.columnTypes().map((type) => type.toString()),
  rows: result.getRowObjectsJson(),
});
const results = [];
for (const sql of statements) {
  try {
    results.push(describe(await connection.runAndReadAll(sql)));
  } catch (error) {
    console.error(`DuckDB failed on: ${sql}\n${error.message}`);
    process.exit(1);
  }
}
process.stdout.write(JSON.stringify(all ? { results } : results[results.length - 1]));
