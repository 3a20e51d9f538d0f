import { sourceUp } from "./metrics";

export type System = "kafka" | "rabbitmq" | "postgres" | "otlp";

export interface SourceState {
  system: System;
  name: string;
  healthy: boolean;
  error: string | null;
  details: Record<string, unknown>;
  checkedAt: Date;
}

/** In-memory view of every configured source's health; written to Postgres by the health writer. */
export class HealthRegistry {
  private readonly states = new Map<string, SourceState>();

  register(system: System, name: string): void {
    this.report(system, name, false, "not checked yet");
  }

  report(system: System, name: string, healthy: boolean, error: string | null, details: Record<string, unknown> = {}): void {
    this.states.set(`${system}/${name}`, { system, name, healthy, error: healthy ? null : error, details, checkedAt: new Date() });
    sourceUp.set({ system, name }, healthy ? 1 : 0);
  }

  all(): SourceState[] {
    return [...this.states.values()];
  }
}
