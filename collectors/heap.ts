import v8 from "node:v8";

/**
 * Imported first by the collectors process. V8 grows its heap lazily for throughput: with ~40 MB live, polling 500
 * consumer groups let garbage pile up to 190–250 MB of RSS between major GCs. A smaller growing factor makes major
 * GCs come sooner, holding the process well under the 200 MB the lag issue sets, for some poll time (see
 * docs/benchmarks.md). V8 reads the flag at each GC, so setting it at start-up, before the work begins, takes effect.
 */
v8.setFlagsFromString("--heap-growing-percent=50");
