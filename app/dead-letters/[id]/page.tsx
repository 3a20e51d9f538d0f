import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache, type ReactNode } from "react";
import { AppLink, Time } from "@/app/_components/time";
import { getDeadLetterItem } from "@/app/_server/dead-letters";
import { getDeadLetter } from "@/lib/api/contracts/dead-letters";
import { deadLetterLinks } from "@/lib/dead-letter-links";
import { deathHistory, headerRows, presentPayload } from "@/lib/dead-letter-view";
import { NotFoundError } from "@/lib/errors";
import { replayIdOf } from "@/lib/replay/headers";
import { DiscardButton } from "./discard-button";
import { ReplayActions } from "./replay-actions";

export const dynamic = "force-dynamic";

/** Payload characters the page renders; beyond, it says how much more the API holds. */
const PAGE_PAYLOAD_CHARS = 256 * 1024;

interface Props {
  params: Promise<{ id: string }>;
}

/**
 * The dead letter of the URL, or null when the id is not one or names no stored dead letter: the page's 404. Takes
 * the segment decoded: Next hands generateMetadata its params decoded, but the page percent-encoded.
 */
const deadLetterOf = cache(async (segment: string) => {
  const id = getDeadLetter.params.shape.id.safeParse(segment);
  if (!id.success) return null;
  try {
    return await getDeadLetterItem(id.data);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const d = await deadLetterOf((await params).id);
  return { title: { absolute: d ? `Dead letter #${d.id} · Switchyard` : "Not found · Switchyard" } };
}

/** One dead letter. Payload and headers are hostile input: React renders them as text, never as HTML. */
export default async function DeadLetterPage({ params }: Props) {
  const d = await deadLetterOf(decodeURIComponent((await params).id));
  if (!d) notFound();
  // a page of megabytes takes a browser many seconds to lay out: show the start, the API has it all
  const payload = presentPayload(d.payload, PAGE_PAYLOAD_CHARS);
  const headers = headerRows(d.headers);
  const deaths = deathHistory(d.headers);
  const consumerGroup = typeof d.properties.consumerGroup === "string" ? d.properties.consumerGroup : null;
  const links = deadLetterLinks({ ...d, consumerGroup });
  // the replay it came back from, by the x-switchyard-replay-id it was sent with (as the capture reads it into
  // replay_id; the dead-letter API does not give that column yet)
  const cameBackFrom = replayIdOf(d.headers);
  const status = d.status.replace("_", " ");
  const fields: [string, ReactNode][] = [
    ["system", d.system],
    ["source", <AppLink href={links.source}>{`${d.sourceName}${d.vhost ? ` / ${d.vhost}` : ""} / ${d.source}`}</AppLink>],
    ["original destination", d.originalDestination && links.destination ? <AppLink href={links.destination}>{d.originalDestination}</AppLink> : d.originalDestination],
    ["key", d.key ? (d.key.text ?? `${d.key.base64} (base64)`) : null],
    ["reason", d.reason],
    ["error type", d.errorType],
    ["error message", d.errorMessage],
    ["deaths", d.deathCount],
    ["first died", d.firstDeadAt ? <Time value={d.firstDeadAt} /> : null],
    ["last died", d.lastDeadAt ? <Time value={d.lastDeadAt} /> : null],
    ["captured", <Time value={d.capturedAt} relative />],
    ["trace id", d.traceId],
    ["status", d.statusReason ? `${status}: ${d.statusReason}${d.statusChangedBy ? ` (${d.statusChangedBy})` : ""}` : status],
    ...(cameBackFrom
      ? ([
          [
            "came back from",
            <AppLink key="replay" href={`/replays/${cameBackFrom}`} data-testid="came-back-from">
              {`replay #${cameBackFrom}`}
            </AppLink>,
          ],
        ] as [string, ReactNode][])
      : []),
    ["size", `${d.sizeBytes} bytes${d.payload.truncated ? ` (stored first ${d.payload.storedBytes})` : ""}`],
  ];
  return (
    <>
      <p>
        <AppLink href="/dead-letters">← all dead letters</AppLink>
      </p>
      <h1>Dead letter #{d.id}</h1>
      <DiscardButton id={d.id} status={d.status} />
      <ReplayActions id={d.id} />
      {d.captureError ? (
        <p className="error" role="alert" data-testid="capture-error">
          Kept in quarantine form: {d.captureError}. The payload is stored as it came; headers and properties are kept as
          base64 of their JSON under <code>switchyard.raw</code>.
        </p>
      ) : null}
      <dl className="fields">
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v ?? "—"}</dd>
          </div>
        ))}
      </dl>
      {d.traceId ? (
        <p>
          <AppLink href={`/traces/${d.traceId}`} data-testid="dead-letter-trace">
            Open trace {d.traceId}
          </AppLink>
        </p>
      ) : null}
      <h2>
        Payload ({d.properties.tombstone === true ? "none: a tombstone, the record's value is null" : payload.kind === "hex" ? "binary, as a hex dump" : payload.kind === "json" ? "JSON, pretty-printed" : "text"})
      </h2>
      {payload.cut ? (
        <p className="muted" data-testid="payload-cut">
          Showing the start of {d.payload.storedBytes.toLocaleString("en")} stored bytes: the whole payload is in <code>GET /api/v1/dead-letters/{d.id}</code>.
        </p>
      ) : null}
      <pre className="payload" data-testid="payload" data-kind={payload.kind}>
        {payload.text}
      </pre>
      <h2>Headers</h2>
      {headers.length === 0 ? (
        <p className="muted">none</p>
      ) : (
        <div className="table-scroll">
          <table className="grid-table" data-testid="headers">
            <thead>
              <tr>
                <th>Name</th>
                <th>Value</th>
                <th>Decoded</th>
              </tr>
            </thead>
            <tbody>
              {headers.map((h, i) => (
                <tr key={`${h.name}-${i}`}>
                  <td className="dl-name">{h.name}</td>
                  <td className="dl-error" title={h.value}>
                    {h.encoding === "base64" ? <span className="tag">base64</span> : null}
                    {h.value.length > 500 ? `${h.value.slice(0, 500)}…` : h.value}
                  </td>
                  <td>{h.decoded ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deaths.length > 0 ? (
        <>
          <h2>Death history (x-death, most recent first)</h2>
          <div className="table-scroll">
            <table className="grid-table" data-testid="death-history">
              <thead>
                <tr>
                  <th>Queue</th>
                  <th>Reason</th>
                  <th className="num">Count</th>
                  <th>Exchange</th>
                  <th>Routing keys</th>
                  <th>Time</th>
                </tr>
              </thead>
              <tbody>
                {deaths.map((x, i) => (
                  <tr key={i}>
                    <td className="dl-name">{x.queue}</td>
                    <td>{x.reason}</td>
                    <td className="num">{x.count}</td>
                    <td>{x.exchange ?? ""}</td>
                    <td>{x.routingKeys}</td>
                    <td className="nowrap">{x.time ? <Time value={x.time} /> : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      <h2>Properties</h2>
      <pre className="payload">{JSON.stringify(d.properties, null, 2)}</pre>
    </>
  );
}
