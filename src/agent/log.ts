/** The agent's logger: pino-shaped, so the CLI passes pino and tests pass nothing. */
export interface AgentLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: AgentLogger = { info() {}, warn() {}, error() {} };
