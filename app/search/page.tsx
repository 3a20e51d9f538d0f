import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { SearchResults } from "./search-results";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Search · Switchyard" } };

export default function SearchPage() {
  return (
    <>
      <h1>Search</h1>
      <Suspense fallback={<Loading what="results" />}>
        <SearchResults />
      </Suspense>
    </>
  );
}
