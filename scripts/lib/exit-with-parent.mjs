// Loaded into every Node process the demo's supervisors start (scripts/lib/procs.ts, through NODE_OPTIONS --import):
// a process whose parent is gone (the supervisor killed with SIGKILL) was adopted by another
// and would run on unseen, its collectors in the default dead-letter group taking partitions from the next stack's
// collectors and its consumers splitting the demo's queues with the next demo. It stops itself as on SIGTERM
// instead (its own handler closes what it holds), and exits outright if that has not ended it in 15 s.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  console.error(`parent process ${parent} is gone: stopping`);
  setTimeout(() => process.exit(1), 15_000).unref();
  process.kill(process.pid, "SIGTERM");
}, 1000);
timer.unref();
