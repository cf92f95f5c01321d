/**
 * Every successful tag assignment, oldest first: in memory for `GET /__history` on the API port, and appended
 * to a JSON-lines file that outlives the process. Use it to show no version tag ever named two digests.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';

export interface TagAssignment {
  registryId: string;
  repository: string;
  tag: string;
  digest: string;
  /** What the tag named before, if it existed. */
  previous: string | null;
  at: string;
  via: 'push' | 'PutImage';
}

export class TagHistory {
  private entries: TagAssignment[] = [];

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(
    registryId: string,
    repository: string,
    tag: string,
    digest: string,
    previous: string | undefined,
    via: TagAssignment['via'],
  ): void {
    const entry: TagAssignment = {
      registryId,
      repository,
      tag,
      digest,
      previous: previous ?? null,
      at: this.now().toISOString(),
      via,
    };
    this.entries.push(entry);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** The assignments since the start (or the last clear), oldest first; of one repository when named. */
  list(repository: string | null = null): TagAssignment[] {
    return repository === null ? [...this.entries] : this.entries.filter((entry) => entry.repository === repository);
  }

  /** Empties the in-memory list; the file keeps every line. */
  clear(): void {
    this.entries = [];
  }

  /** GET lists every tag assignment since the start (or the last DELETE), oldest first; ?repository= keeps one. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'DELETE') {
      this.clear();
      res.writeHead(204, { 'content-length': 0 });
      res.end();
      return;
    }
    if (req.method !== 'GET') {
      req.resume();
      res.writeHead(405, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'GET or DELETE /__history' }));
      return;
    }
    const only = new URL(req.url ?? '/', 'http://api').searchParams.get('repository');
    const text = `${JSON.stringify(this.list(only))}\n`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
