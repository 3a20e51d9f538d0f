import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

/**
 * A small process supervisor for `npm run demo` and the demo services: each child's output is prefixed with its
 * name, a child that dies is restarted with backoff (when asked), and `stopAll` sends SIGTERM to every child, then
 * SIGKILL to what is left after a grace period. Children stay in this process's process group, so whatever stops
 * the group (Ctrl-C in a terminal, a test runner killing its web servers) stops them too; and each Node process under
 * them stops itself when its parent is gone (exit-with-parent.mjs), so a supervisor killed with SIGKILL leaves no
 * collectors or demo services running on.
 */
export interface ProcSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  restart?: boolean;
}

const colors = [36, 35, 33, 32, 34, 31, 96, 95];

export class ProcGroup {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;
  private n = 0;

  constructor(private readonly onExit?: (name: string, code: number | null) => void) {}

  start(spec: ProcSpec, restarts = 0): ChildProcess {
    const color = colors[this.n++ % colors.length];
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: withExitWithParent({ ...process.env, ...spec.env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.set(spec.name, child);
    const tag = `\x1b[${color}m${spec.name.padEnd(14)}\x1b[0m|`;
    for (const s of [child.stdout, child.stderr]) {
      if (s) readline.createInterface({ input: s }).on("line", (l) => console.log(`${tag} ${l}`));
    }
    child.on("exit", (code, signal) => {
      this.children.delete(spec.name);
      if (this.stopping) return;
      console.log(`${tag} exited (${signal ?? code})`);
      this.onExit?.(spec.name, code);
      if (spec.restart) {
        const wait = Math.min(30_000, 1000 * 2 ** restarts);
        console.log(`${tag} restarting in ${wait / 1000} s`);
        setTimeout(() => !this.stopping && this.start(spec, restarts + 1), wait).unref();
      }
    });
    return child;
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const live = [...this.children.values()];
    for (const c of live) signal(c, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && live.some((c) => c.exitCode === null && c.signalCode === null)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const c of live) if (c.exitCode === null && c.signalCode === null) signal(c, "SIGKILL");
  }
}

function signal(c: ChildProcess, sig: NodeJS.Signals) {
  try {
    if (c.pid) process.kill(c.pid, sig);
  } catch {
    /* already gone */
  }
}

const exitWithParent = `--import=${pathToFileURL(path.join(__dirname, "exit-with-parent.mjs")).href}`;

/** NODE_OPTIONS with exit-with-parent.mjs preloaded (once: a supervisor under a supervisor inherits it). */
function withExitWithParent(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const options = env.NODE_OPTIONS ?? "";
  return options.includes(exitWithParent) ? env : { ...env, NODE_OPTIONS: `${options} ${exitWithParent}`.trim() };
}
