import { inArray, sql, type SQL } from "drizzle-orm";
import type { DeadLetterSelection } from "../../lib/dead-letter-selection";
import { deadLetters } from "../schema";
import { deadLetterWhere } from "./dead-letters";

/** The WHERE of a selection: its ids, its failure group, or its filter (`broker` is the source name; none: all). */
export function selectionWhere(s: DeadLetterSelection): SQL {
  if (s.ids) return inArray(deadLetters.id, s.ids);
  if (s.groupId) return deadLetterWhere({ group: s.groupId })!;
  const { broker, ...f } = s.filter!;
  return deadLetterWhere({ ...f, ...(broker ? { sourceName: broker } : {}) }) ?? sql`true`;
}
