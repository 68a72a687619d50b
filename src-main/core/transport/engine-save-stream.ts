import type { Readable } from 'node:stream';
import type { EngineAccess } from '../engine/connect';
import { EngineConnection, readText, responseFailure } from './engine-http';

/**
 * The engine's `GET /images/{name}/get` body, spoken directly over the engine's socket when it can
 * be (see EngineConnection), through dockerode otherwise. Errors carry `statusCode` like
 * dockerode's, for engineError. Destroying the stream closes the connection, which cancels the save.
 */
export async function openSaveStream(engine: EngineAccess, name: string): Promise<Readable> {
  const connection = await EngineConnection.open(engine.endpoint);
  if (!connection) return (await engine.docker.getImage(name).get()) as Readable;
  try {
    connection.send('GET', `/images/${encodeURIComponent(name)}/get`);
    const response = await connection.response();
    if (response.status === 200) return response.body;
    throw await responseFailure(response.status, response.body);
  } catch (e) {
    connection.destroy();
    throw e;
  }
}

/** The engine's `GET /images/{name}/json` (what a save needs of it: the size), the same way. */
export async function inspectImage(engine: EngineAccess, name: string): Promise<{ Size?: number }> {
  const connection = await EngineConnection.open(engine.endpoint);
  if (!connection) return engine.docker.getImage(name).inspect();
  try {
    connection.send('GET', `/images/${encodeURIComponent(name)}/json`);
    const response = await connection.response();
    if (response.status !== 200) throw await responseFailure(response.status, response.body);
    return JSON.parse(await readText(response.body, 4 << 20)) as { Size?: number };
  } finally {
    connection.destroy();
  }
}
