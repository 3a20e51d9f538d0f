import { ValidationError } from "../errors";

/** A replay's rate: the one asked for, else REPLAY_DEFAULT_RATE (capped by the maximum); over REPLAY_MAX_RATE is a 400. */
export function replayRate(asked: number | undefined, config: { REPLAY_MAX_RATE: number; REPLAY_DEFAULT_RATE: number }): number {
  if (asked === undefined) return Math.min(config.REPLAY_DEFAULT_RATE, config.REPLAY_MAX_RATE);
  if (asked > config.REPLAY_MAX_RATE) throw new ValidationError(`ratePerSecond: at most ${config.REPLAY_MAX_RATE} messages a second (REPLAY_MAX_RATE)`, { field: "ratePerSecond", max: config.REPLAY_MAX_RATE });
  return asked;
}
