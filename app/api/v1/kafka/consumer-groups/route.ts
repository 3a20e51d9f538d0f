import { route } from "@/app/api/_lib/handler";
import { listConsumerGroups } from "@/app/_server/kafka";
import * as api from "@/lib/api/contracts/kafka";

export const dynamic = "force-dynamic";

export const GET = route(api.listConsumerGroups, async ({ query }) => listConsumerGroups(query));
