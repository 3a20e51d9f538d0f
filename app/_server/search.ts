import "server-only";
import type { z } from "zod";
import type { searchQuery, searchResponse } from "@/lib/api/contracts/search";
import { searchEverything } from "@/db/queries/search";
import { rankResults, searchTerms } from "@/lib/search";
import { serverContext } from "./context";

export async function search(q: z.infer<typeof searchQuery>): Promise<z.input<typeof searchResponse>> {
  const { db } = serverContext();
  const terms = searchTerms(q.q);
  return { q: terms.text, results: rankResults(await searchEverything(db.db, terms)) };
}
