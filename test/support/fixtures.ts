/**
 * Fixture images built offline against the test engine: FROM scratch + Debian's static busybox,
 * with the legacy builder (no BuildKit, no network). Idempotent: call again after a test removed
 * some of them (cached steps make a rebuild quick).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, dockerCli } from './engine';

export const BUSYBOX = '/bin/busybox';

/** Several layers, a deleted file (whiteout) and every metadata instruction. */
export const MULTI = 'lighter-fixture/multi:1.0';
export const MULTI_LATEST = 'lighter-fixture/multi:latest';
export const MULTI_REGISTRY = 'localhost:5000/lighter-fixture/multi:1.0';
/** One busybox layer; the USER_CONTAINER uses it. */
export const SMALL = 'lighter-fixture/small:1';
/** Built twice with different content, so its first build is left dangling. */
export const DANGLING_TAG = 'lighter-fixture/dangling:1';
/** A created (never started) container using SMALL. */
export const USER_CONTAINER = 'lighter-fixture-user';

export interface Fixtures {
  multiId: string;
  smallId: string;
  /** The untagged first build of DANGLING_TAG. */
  danglingId: string;
  containerId: string;
}

const multiDockerfile = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /srv/data && echo hello > /srv/hello.txt && echo temp > /srv/data/temp.txt && dd if=/dev/zero of=/srv/big bs=1k count=32
RUN rm /srv/big /srv/data/temp.txt
ENV APP=fixture PATH=/bin
LABEL org.example.kind=fixture org.example.name=multi
EXPOSE 8080/tcp
WORKDIR /srv
USER 1000
VOLUME /data
CMD ["sh"]
`;

const smallDockerfile = `FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox", "sh"]
`;

const danglingDockerfile = `FROM scratch
COPY note.txt /note.txt
`;

export async function buildFixtures(env: NodeJS.ProcessEnv): Promise<Fixtures> {
  if (!existsSync(BUSYBOX)) throw new Error(`fixtures need ${BUSYBOX} (Debian package busybox-static)`);
  const dir = mkdtempSync(join(tmpdir(), 'lighter-fixture-ctx-'));
  try {
    copyFileSync(BUSYBOX, join(dir, 'busybox'));
    writeFileSync(join(dir, 'Dockerfile.multi'), multiDockerfile);
    writeFileSync(join(dir, 'Dockerfile.small'), smallDockerfile);
    writeFileSync(join(dir, 'Dockerfile.dangling'), danglingDockerfile);

    const multiId = await build(env, dir, 'Dockerfile.multi', MULTI);
    await docker(env, 'tag', MULTI, MULTI_LATEST);
    await docker(env, 'tag', MULTI, MULTI_REGISTRY);
    const smallId = await build(env, dir, 'Dockerfile.small', SMALL);

    writeFileSync(join(dir, 'note.txt'), 'first build\n');
    const danglingId = await build(env, dir, 'Dockerfile.dangling', DANGLING_TAG);
    writeFileSync(join(dir, 'note.txt'), 'second build\n');
    await build(env, dir, 'Dockerfile.dangling', DANGLING_TAG);

    const existing = await dockerCli(env, ['container', 'inspect', '--format', '{{.Id}}', USER_CONTAINER]);
    const containerId =
      existing.code === 0
        ? existing.stdout.trim()
        : (await docker(env, 'create', '--name', USER_CONTAINER, '--network', 'none', SMALL, '/bin/busybox', 'true')).trim();
    return { multiId, smallId, danglingId, containerId };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function build(env: NodeJS.ProcessEnv, dir: string, dockerfile: string, tag: string): Promise<string> {
  const out = await docker({ ...env, DOCKER_BUILDKIT: '0' }, 'build', '-q', '--network', 'none', '-f', join(dir, dockerfile), '-t', tag, dir);
  return out.trim().split('\n').pop()!.trim();
}
