/**
 * Step output. Under Azure Pipelines (TF_BUILD set) errors and warnings become logging commands so they
 * show on the run's summary, and each step is a collapsible group.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export function createLogger(
  env: Record<string, string | undefined> = process.env,
  write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): Logger {
  const azure = Boolean(env.TF_BUILD);
  const escape = (text: string) => text.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return {
    info: (message) => write(message),
    warn: (message) => write(azure ? `##vso[task.logissue type=warning]${escape(message)}` : `warning: ${message}`),
    error: (message) => write(azure ? `##vso[task.logissue type=error]${escape(message)}` : `error: ${message}`),
    async group(title, fn) {
      if (!azure) return fn();
      write(`##[group]${title}`);
      try {
        return await fn();
      } finally {
        write('##[endgroup]');
      }
    },
  };
}
