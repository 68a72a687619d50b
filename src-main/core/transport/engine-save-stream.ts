import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { EngineConnection, responseFailure } from './engine-http';

/**
 * The engine's `GET /images/{name}/get` body, spoken directly over the engine's socket when it can
 * be (see EngineConnection), through dockerode otherwise. Errors carry `statusCode` like
 * dockerode's, for engineError. Destroying the stream closes the connection, which cancels the save.
 */
export async function openSaveStream(docker: Docker, name: string): Promise<Readable> {
  const connection = await EngineConnection.open(docker);
  if (!connection) return (await docker.getImage(name).get()) as Readable;
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
