import { route } from "@/app/api/_lib/handler";
import { queryOf } from "@/app/api/_lib/params";
import { groupListQuery, listConsumerGroups } from "@/app/_server/kafka";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => listConsumerGroups(queryOf(req, groupListQuery)));
