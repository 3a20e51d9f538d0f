import { getTableColumns, getTableName, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { pgJson, pgText } from "../../lib/pg-safe";

/**
 * `insert into <table> (<columns>) select <columns> from json_populate_recordset(null::<table>, $1)`: many rows in one
 * statement and one parameter, a JSON array Postgres turns into rows of the table's own column types.
 * Drizzle's `.values(rows)` sends rows × columns parameters (6,000 lag samples: 66,000), and building and binding
 * those dominated the collectors' writes in time and garbage; arrays per column (`unnest`) still cost node-postgres
 * ~3 MB of string building per 6,000 rows. JSON.stringify is native and makes one string. See docs/benchmarks.md.
 * Rows are the same `$inferInsert` objects `.values()` takes; each value goes through its column's driver mapping
 * (dates become ISO strings, bigints digit strings), json/jsonb values stay as JSON, bytea becomes `\x` hex. Columns are those the first row
 * names; a row missing one gets null (not the column default). Values Postgres cannot hold are made storable here,
 * for every bulk writer at once (lib/pg-safe.ts): U+0000 and lone surrogates become U+FFFD in text, and a JSON string
 * holding one becomes `{ base64 }` of its bytes; names that arrive from brokers (group ids, client ids, header names)
 * can hold them, and one such row would otherwise fail the whole statement. Append `on conflict ...` / `returning ...`:
 * sql`${bulkInsert(table, rows)} on conflict do nothing`.
 */
export function bulkInsert<T extends PgTable>(table: T, rows: T["$inferInsert"][]): SQL {
  if (rows.length === 0) throw new Error("bulkInsert: no rows");
  const columns = getTableColumns(table);
  const first = rows[0] as Record<string, unknown>;
  const keys = Object.keys(first).filter((k) => k in columns && first[k] !== undefined);
  const cols = keys.map((k) => {
    const col = columns[k]!;
    const type = col.getSQLType();
    const map =
      type === "json" || type === "jsonb"
        ? (v: unknown) => pgJson(v)
        : type === "bytea"
          ? (v: unknown) => `\\x${(v as Buffer).toString("hex")}`
          : (v: unknown) => {
              if (v instanceof Date && Number.isNaN(v.getTime())) return null;
              const d = col.mapToDriverValue(v);
              // JSON has no bigint; int8 reads the digits exactly
              return typeof d === "bigint" ? d.toString() : typeof d === "string" ? pgText(d) : d;
            };
    return { key: k, name: col.name, map };
  });
  const json = JSON.stringify(
    rows.map((r) => {
      const o: Record<string, unknown> = {};
      for (const c of cols) {
        const v = (r as Record<string, unknown>)[c.key];
        o[c.name] = v === null || v === undefined ? null : c.map(v);
      }
      return o;
    }),
  );
  const names = sql.join(
    cols.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const t = sql.identifier(getTableName(table));
  return sql`insert into ${t} (${names}) select ${names} from json_populate_recordset(null::${t}, ${json}::json)`;
}
