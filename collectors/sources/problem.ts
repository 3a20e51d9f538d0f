/** A source answers, but something Switchyard does with it is not working (dead-letter capture paused, ...). */
export class CollectorProblem extends Error {}
