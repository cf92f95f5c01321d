/**
 * Tag assignment one at a time per repository. ECR assigns tags atomically; without this, two pushes of one
 * immutable tag could both pass the "does the tag exist" check before either writes.
 */
export class RepositoryLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs fn once every earlier fn for the same repository has finished, whether it succeeded or not. */
  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const repositoryLocks = this.tails;
    const previous = repositoryLocks.get(name) ?? Promise.resolve();
    const result = previous.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    repositoryLocks.set(name, tail);
    void tail.then(() => {
      if (repositoryLocks.get(name) === tail) repositoryLocks.delete(name);
    });
    return result;
  }

  /** Whether anything for the repository is running or waiting. */
  held(name: string): boolean {
    return this.tails.has(name);
  }
}
