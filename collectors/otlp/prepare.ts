import { decodeJsonRequest, decodeProtobufRequest } from "../../lib/otlp/decode";
import { flattenRequest } from "../../lib/otlp/spans";
import { spanCopy, type SpanCopy } from "../../db/queries/spans";
import { observeSpans, type Observation } from "../../lib/flows/observe";
import { noWorkflowObservation, observeWorkflowSpans, type WorkflowObservation } from "../../lib/workflows/observe";

export type OtlpFormat = "protobuf" | "json";

/** A decoded export, ready to store: its valid spans as COPY text, and how many were rejected and why. */
export interface PreparedExport {
  batch: SpanCopy;
  rejected: number;
  errors: string[];
  /** what the flow map learns from these spans (lib/flows/observe.ts), added to its rollups once they are stored */
  flows: Observation;
  /** the business keys and links of these spans (lib/workflows/observe.ts), for the workflow engine */
  workflows: WorkflowObservation;
}

/**
 * Decodes an export body, flattens it and turns its valid spans into COPY text at once, so the decoded objects die
 * young (at many exports in flight they would otherwise outlive young-generation collections; garbage collection was
 * a fifth of ingest's CPU). With `flows`, what the flow map learns from the spans too (FLOW_ROLLUPS). Throws
 * ValidationError for a body that does not decode.
 */
export function prepareExport(format: OtlpFormat, body: Uint8Array, flows = true, workflowKeys: readonly string[] = []): PreparedExport {
  const request = format === "protobuf" ? decodeProtobufRequest(body) : decodeJsonRequest(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  const { spans, rejected, errors } = flattenRequest(request);
  const batch = spanCopy(spans); // sanitises the records in place where Postgres could not store them
  return {
    batch,
    rejected,
    errors,
    flows: flows ? observeSpans(spans) : { samples: [], clients: [], servers: [] },
    workflows: workflowKeys.length ? observeWorkflowSpans(spans, workflowKeys) : noWorkflowObservation,
  };
}
