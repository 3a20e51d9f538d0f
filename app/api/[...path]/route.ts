import { toErrorResponse } from "@/app/api/_lib/handler";
import { NotFoundError } from "@/lib/errors";

/** Unknown API paths answer JSON like every other API error, not Next's HTML 404 page. */
const notFound = async (req: Request) => toErrorResponse(new NotFoundError(`no API endpoint at ${new URL(req.url).pathname}`));

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
