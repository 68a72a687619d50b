/**
 * The engine commands of the BUILT `lighter` CLI against the throwaway engine, judged by the docker
 * CLI talking to the same engine. Exact forms and exit codes: scripts depend on them.
 */
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanSize } from '../../src-main/core/engine/format';
import type { EngineStatus, HistoryRow, ImageDetail, ImageSummary } from '../../src-main/core/engine/types';
import { runBuiltCli, runCliCaptured } from '../support/cli';
import { docker as dockerRun, requireEngine, testDockerEnv } from '../support/engine';
import { buildFixtures, MULTI, SMALL, USER_CONTAINER, type Fixtures } from '../support/fixtures';

const host = requireEngine();
const home = mkdtempSync(join(tmpdir(), 'lighter-cli-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.skipIf(!host)('lighter engine commands (built CLI, real engine)', () => {
  const dockerEnv = testDockerEnv(host);
  const cli = (...args: string[]) => dockerRun(dockerEnv, ...args);
  // HOME is a temp dir: the CLI must not find the user's own docker config or contexts.
  const env = { DOCKER_HOST: host, HOME: home };
  const lighter = (...argv: string[]) => runBuiltCli(argv, env);
  let fixtures: Fixtures;
  let scratch: string;

  beforeAll(async () => {
    fixtures = await buildFixtures(dockerEnv);
    scratch = mkdtempSync(join(tmpdir(), 'lighter-cli-test-'));
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    if (fixtures) await buildFixtures(dockerEnv);
  });

  it('images --json lists exactly what docker images shows', async () => {
    const { code, stdout, stderr } = await lighter('images', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const ours = JSON.parse(stdout) as ImageSummary[];
    const theirs = (await cli('images', '--no-trunc', '--format', '{{json .}}'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ID: string; Repository: string; Tag: string; Size: string });
    const flat = ours.flatMap((i) => (i.repoTags.length ? i.repoTags : ['<none>:<none>']).map((t) => `${i.id} ${t} ${humanSize(i.size)}`));
    expect(flat.sort()).toEqual(theirs.map((t) => `${t.ID} ${t.Repository}:${t.Tag} ${t.Size}`).sort());
    // Newest first, like docker.
    expect(ours.map((i) => i.created)).toEqual([...ours.map((i) => i.created)].sort((a, b) => b - a));
  });

  it('images prints a docker-like table and applies --filter', async () => {
    const table = await lighter('images');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(lines.some((l) => /^lighter-fixture\/small\s+1\s+[0-9a-f]{12}\s+.+ ago\s+\d/.test(l))).toBe(true);
    expect(lines.some((l) => /^<none>\s+<none>\s+[0-9a-f]{12}/.test(l))).toBe(true);

    const filtered = await lighter('images', '--json', '--filter', 'dangling=true');
    expect((JSON.parse(filtered.stdout) as ImageSummary[]).map((i) => i.id)).toContain(fixtures.danglingId);
    const inUse = await lighter('images', '--json', '-f', 'in-use=true', '-f', 'reference=lighter-fixture/*');
    expect((JSON.parse(inUse.stdout) as ImageSummary[]).map((i) => i.id)).toEqual([fixtures.smallId]);

    const bad = await lighter('images', '--filter', 'colour=red');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('lighter images: unknown filter "colour" (use dangling, in-use, reference, before, since or text)\n');
  });

  it('inspect --json equals the engine inspect; text is a readable summary', async () => {
    const json = await lighter('inspect', MULTI, '--json');
    expect(json.code).toBe(0);
    const detail = JSON.parse(json.stdout) as ImageDetail;
    expect(detail.raw).toEqual(JSON.parse(await cli('image', 'inspect', MULTI))[0]);
    expect(detail.id).toBe(fixtures.multiId);

    const text = await lighter('inspect', MULTI);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`ID:             ${fixtures.multiId}`);
    expect(text.stdout).toMatch(/Platform:\s+linux\/amd64/);
    expect(text.stdout).toMatch(/Cmd:\s+\["sh"\]/);
    expect(text.stdout).toMatch(/Labels:\s+org\.example\.kind=fixture/);
  });

  it('history --json agrees with docker history', async () => {
    const { code, stdout } = await lighter('history', MULTI, '--json');
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as HistoryRow[];
    const theirs = (await cli('history', '--no-trunc', '--format', '{{json .}}', MULTI)).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.createdBy, humanSize(r.size)])).toEqual(theirs.map((t) => [t.ID, t.CreatedBy, t.Size]));
    const text = await lighter('history', MULTI);
    expect(text.stdout.split('\n')[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  });

  it('unknown images fail with one clear line and exit 1', async () => {
    for (const argv of [['inspect', 'lighter-test/nope:1'], ['history', 'lighter-test/nope:1']]) {
      const { code, stdout, stderr } = await lighter(...argv);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(`lighter ${argv[0]}: No such image: lighter-test/nope:1\n`);
    }
  });

  it('tag adds a name; an invalid name is refused clearly', async () => {
    const ok = await lighter('tag', SMALL, 'lighter-test/cli-tag:v1');
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '', '']);
    expect(await cli('image', 'inspect', '--format', '{{json .RepoTags}}', SMALL)).toContain('lighter-test/cli-tag:v1');

    const bad = await lighter('tag', SMALL, 'lighter-test/UPPER:v1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^lighter tag: invalid reference "lighter-test\/UPPER:v1": repository name .* must be lowercase\n$/);
    const usage = await lighter('tag', SMALL);
    expect(usage.code).toBe(2);
  });

  it('rm removes by tag and by ID; in-use needs --force and names the container', async () => {
    const byTag = await lighter('rm', 'lighter-test/cli-tag:v1');
    expect(byTag).toEqual({ code: 0, stdout: 'Untagged: lighter-test/cli-tag:v1\n', stderr: '' });

    writeFileSync(join(scratch, 'Dockerfile'), 'FROM scratch\nCOPY note.txt /n\n');
    writeFileSync(join(scratch, 'note.txt'), `cli ${Date.now()}\n`);
    const id = (await cli('build', '-q', '-t', 'lighter-test/cli-rm:1', scratch)).trim();
    await cli('create', '--name', 'lighter-test-cli-user', '--network', 'none', id, '/x');
    try {
      const refused = await lighter('rm', id);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(`^lighter rm: image ${id} is in use by container "lighter-test-cli-user" \\(created\\); use force to remove it anyway\\n$`),
      );
      const forced = await lighter('rm', '--force', id);
      expect(forced.code).toBe(0);
      expect(forced.stdout).toContain('Untagged: lighter-test/cli-rm:1');
      expect(forced.stdout).toContain(`Deleted: ${id}`);
    } finally {
      await cli('rm', 'lighter-test-cli-user');
    }

    const missing = await lighter('rm', 'lighter-test/nope:1');
    expect([missing.code, missing.stderr]).toEqual([1, 'lighter rm: No such image: lighter-test/nope:1\n']);
  });

  it('prune refuses without --yes when not on a terminal, asks on one, prunes with --yes', async () => {
    const refused = await lighter('prune');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(fixtures.danglingId.slice(7, 19));
    expect(refused.stdout).toMatch(/Space to reclaim: \d/);
    expect(refused.stderr).toBe('lighter prune: not removing anything: input is not a terminal, pass --yes to confirm\n');
    expect(await cli('images', '-q', '--no-trunc', '--filter', 'dangling=true')).toContain(fixtures.danglingId);

    // On a terminal it asks; "n" keeps everything.
    const declined = await runCliCaptured(['prune'], env, 'n\n', { tty: true });
    expect(declined.code).toBe(0);
    expect(declined.stdout).toMatch(/Remove them\? \[y\/N\] Nothing removed\.\n$/);
    expect(await cli('images', '-q', '--no-trunc', '--filter', 'dangling=true')).toContain(fixtures.danglingId);

    const pruned = await lighter('prune', '--yes');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`Deleted: ${fixtures.danglingId}`);
    expect(pruned.stdout).toMatch(/Total reclaimed space: \d/);
    expect((await cli('images', '-q', '--filter', 'dangling=true')).trim()).toBe('');

    const nothing = await lighter('prune');
    expect(nothing).toEqual({ code: 0, stdout: 'No dangling images to remove.\n', stderr: '' });
  });

  it('df --json matches docker system df', async () => {
    const { code, stdout } = await lighter('df', '--json');
    expect(code).toBe(0);
    const usage = JSON.parse(stdout);
    const rows = (await cli('system', 'df', '--format', '{{json .}}')).trim().split('\n').map((l) => JSON.parse(l));
    const images = rows.find((r: { Type: string }) => r.Type === 'Images');
    expect([String(usage.images.count), String(usage.images.active), humanSize(usage.images.size, 4)]).toEqual([
      images.TotalCount,
      images.Active,
      images.Size,
    ]);
    const table = await lighter('df');
    expect(table.stdout.split('\n')[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    expect(table.stdout).toContain(`Images          ${images.TotalCount}`);
  });

  it('engine says which engine, how it was found, and the negotiated API version', async () => {
    const json = await lighter('engine', '--json');
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as EngineStatus;
    const [serverVersion, serverApi] = (await cli('version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}')).trim().split(' ');
    expect(status).toMatchObject({
      state: 'connected',
      engine: { name: 'Docker Engine', version: serverVersion, apiVersion: serverApi, os: 'linux', host, foundBy: '$DOCKER_HOST' },
    });
    const text = await lighter('engine');
    expect(text.stdout).toContain(`Host:             ${host}`);
    expect(text.stdout).toContain('Found by:         $DOCKER_HOST');

    const viaFlag = await runBuiltCli(['engine', '--json', '--host', host], { HOME: home });
    expect(JSON.parse(viaFlag.stdout).engine).toMatchObject({ host, source: 'user' });
  });

  it('engine lists the attempts and exits 1 when nothing answers', async () => {
    const missing = join(home, 'none.sock');
    const down = await runBuiltCli(['engine'], { DOCKER_HOST: `unix://${missing}`, HOME: home });
    expect(down.code).toBe(1);
    expect(down.stdout).toContain(`unix://${missing} ($DOCKER_HOST): Cannot reach the engine at unix://${missing}: no engine socket at ${missing}`);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^lighter engine: No container engine reachable: /);

    const json = await runBuiltCli(['engine', '--json'], { DOCKER_HOST: `unix://${missing}`, HOME: home });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'unreachable', attempts: [{ host: `unix://${missing}` }] });

    const images = await runBuiltCli(['images'], { DOCKER_HOST: `unix://${missing}`, HOME: home });
    expect(images.code).toBe(1);
    expect(images.stderr).toBe(`lighter images: No container engine reachable: unix://${missing}: no engine socket at ${missing}\n`);

    // An ssh engine that is not there: one line, no Node deprecation notice from the ssh transport.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const ssh = await runBuiltCli(['images'], { DOCKER_HOST: `ssh://nobody@127.0.0.1:${port}`, HOME: home });
    expect(ssh.code).toBe(1);
    expect(ssh.stderr).toMatch(new RegExp(`^lighter images: No container engine reachable: ssh://nobody@127\\.0\\.0\\.1:${port}: [^\\n]+\\n$`));

    const badHost = await runBuiltCli(['images', '--host', 'http://x'], { HOME: home });
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toMatch(/^lighter images: invalid engine address "http:\/\/x": scheme "http:\/\/" is not supported/);
  });

  it('keeps the container fixture intact', async () => {
    expect((await cli('container', 'inspect', '--format', '{{.Name}}', USER_CONTAINER)).trim()).toBe(`/${USER_CONTAINER}`);
  });
});
