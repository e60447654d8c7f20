// QEMU's QMP monitor over a unix socket (`-qmp unix:PATH,server=on,wait=off`).
import { createConnection } from "node:net";

export interface QmpCommand {
  readonly execute: string;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

interface QmpMessage {
  QMP?: unknown;
  return?: unknown;
  event?: unknown;
  error?: { class: string; desc: string };
}

/**
 * Runs `commands` in order on a fresh connection (after capabilities negotiation) and resolves
 * with their return values; rejects on the first QMP error. Events in between are skipped.
 */
export function qmp(socketPath: string, commands: readonly QmpCommand[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socketPath);
    const queue: QmpCommand[] = [{ execute: "qmp_capabilities" }, ...commands];
    const returns: unknown[] = [];
    let sent: QmpCommand | undefined;
    let buffered = "";
    connection.setEncoding("utf8");
    connection.on("error", reject);
    connection.on("data", (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffered.slice(0, newline)) as QmpMessage;
        buffered = buffered.slice(newline + 1);
        if (message.error) {
          connection.destroy();
          return reject(new Error(`QMP ${sent?.execute}: ${message.error.class}: ${message.error.desc}`));
        }
        if (message.QMP === undefined && message.return === undefined) continue;
        if (message.return !== undefined) returns.push(message.return);
        sent = queue.shift();
        if (sent === undefined) {
          connection.end();
          // The first return answers qmp_capabilities.
          return resolve(returns.slice(1));
        }
        connection.write(`${JSON.stringify(sent)}\n`);
      }
    });
  });
}
