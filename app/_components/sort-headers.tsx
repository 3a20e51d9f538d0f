"use client";

/** Column headers that sort a table; the sort key and direction live in the URL (`sort`, `dir`). */
export function SortHeaders({ columns, sort, dir, onSort }: { columns: [key: string, label: string][]; sort: string; dir: string; onSort: (key: string) => void }) {
  return (
    <>
      {columns.map(([key, label]) => (
        <th key={key} aria-sort={sort === key ? (dir === "asc" ? "ascending" : "descending") : "none"}>
          <button type="button" className="th-button" onClick={() => onSort(key)}>
            {label}
            {sort === key ? (dir === "asc" ? " ▲" : " ▼") : ""}
          </button>
        </th>
      ))}
    </>
  );
}
