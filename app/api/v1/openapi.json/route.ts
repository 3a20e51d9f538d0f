import { route } from "@/app/api/_lib/handler";
import * as api from "@/lib/api/contracts/openapi";
import { openApiDocument } from "@/lib/api/openapi";

export const dynamic = "force-dynamic";

/** Public (`authenticated: false`): tools read the document without a token. */
export const GET = route(api.getOpenApiDocument, async () => openApiDocument() as unknown as Record<string, unknown>);
