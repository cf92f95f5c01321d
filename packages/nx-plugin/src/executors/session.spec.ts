import { DockerCli } from '../lib/docker';
import { Session } from './session';

describe('Session', () => {
  it('hands every step of the process the same Docker CLI per command, so the engine and the builder are asked once', () => {
    const session = new Session({});
    const docker = session.docker('docker');
    expect(docker).toBeInstanceOf(DockerCli);
    expect(session.docker('docker')).toBe(docker);
    expect(session.docker('podman')).not.toBe(docker);
    expect(new Session({}).docker('docker')).not.toBe(docker);
  });
});
