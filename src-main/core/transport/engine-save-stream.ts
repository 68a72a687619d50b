import type { Readable } from 'node:stream';
import type { EngineAccess } from '../engine/connect';
import { EngineConnection, readText, responseFailure } from './engine-http';

/**
 * The engine's `GET /images/{name}/get` body, spoken directly over the engine's socket when it can
 * be (see EngineConnection), through dockerode otherwise. Errors carry `statusCode` like
 * dockerode's, for engineError. Destroying the stream closes the connection, which cancels the save.
 */
export async function openSaveStream(engine: EngineAccess, name: string): Promise<Readable> {
  const body = await rawGet(engine, `/images/${encodeURIComponent(name)}/get`);
  return body ?? ((await engine.docker.getImage(name).get()) as Readable);
}

/** The engine's `GET /images/{name}/json` (what a save needs of it: the size), the same way. */
export async function inspectImage(engine: EngineAccess, name: string): Promise<{ Size?: number }> {
  const body = await rawGet(engine, `/images/${encodeURIComponent(name)}/json`);
  if (!body) return engine.docker.getImage(name).inspect();
  return JSON.parse(await readText(body, 4 << 20)) as { Size?: number };
}

/** A 200 answer's body, raw; undefined where the endpoint has no raw form (TLS, ssh). */
async function rawGet(engine: EngineAccess, path: string): Promise<Readable | undefined> {
  const connection = await EngineConnection.open(engine.endpoint);
  if (!connection) return undefined;
  try {
    connection.send('GET', path);
    const response = await connection.response();
    if (response.status === 200) return response.body;
    throw await responseFailure(response.status, response.body);
  } catch (e) {
    connection.destroy();
    throw e;
  }
}
