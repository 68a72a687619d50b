import { describe, expect, it } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import { contract, methodNames } from '../../../src-main/ipc/contract';
import { createRouter, type Handlers } from '../../../src-main/ipc/router';

/** Handlers that record their input; every method answers something recognisable. */
function recordingHandlers(calls: { method: string; input: unknown }[]): Handlers {
  return Object.fromEntries(
    methodNames.map((m) => [
      m,
      (input: unknown) => {
        calls.push({ method: m, input });
        if (m === 'images.inspect') throw new LighterError('NOT_FOUND', 'No such image: ghost', { image: 'ghost' });
        if (m === 'images.history') throw new Error('boom');
        return { from: m };
      },
    ]),
  ) as unknown as Handlers;
}

describe('router', () => {
  it('dispatches a valid call to its handler with the parsed input', async () => {
    const calls: { method: string; input: unknown }[] = [];
    const router = createRouter(recordingHandlers(calls));
    const reply = await router.invoke('images.remove', { images: ['busybox:latest'] });
    expect(reply).toEqual({ ok: true, value: { from: 'images.remove' } });
    // The schema's default fills in force.
    expect(calls).toEqual([{ method: 'images.remove', input: { images: ['busybox:latest'], force: false } }]);
  });

  it.each([
    ['images.inspect', { image: 42 }],
    ['images.inspect', {}],
    ['images.inspect', { image: '' }],
    ['images.remove', { images: [] }],
    ['images.tag', { source: 'a', target: 'b', extra: true }],
    ['jobs.cancel', { id: 'not-a-uuid' }],
    ['engine.select', { host: 'x', context: 'y' }],
    ['images.list', 'a string'],
  ])('refuses malformed input for %s with a validation error, not a crash', async (method, input) => {
    const calls: { method: string; input: unknown }[] = [];
    const router = createRouter(recordingHandlers(calls));
    const reply = await router.invoke(method, input);
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('INVALID_INPUT');
      expect(reply.error.message).toContain(`Invalid input for ${method}`);
    }
    expect(calls).toEqual([]);
  });

  it('refuses unknown methods, including prototype names', async () => {
    const router = createRouter(recordingHandlers([]));
    for (const method of ['nope', '__proto__', 'constructor', 'toString']) {
      const reply = await router.invoke(method, {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
  });

  it('carries typed errors intact and wraps unknown ones as INTERNAL', async () => {
    const router = createRouter(recordingHandlers([]));
    expect(await router.invoke('images.inspect', { image: 'ghost' })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'No such image: ghost', details: { image: 'ghost' } },
    });
    expect(await router.invoke('images.history', { image: 'x' })).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'boom' },
    });
  });

  it('rebuilds an error value into a LighterError', () => {
    const e = LighterError.fromValue({ code: 'REF_INVALID', message: 'bad', details: { at: 3 } });
    expect(e).toBeInstanceOf(LighterError);
    expect(e.toValue()).toEqual({ code: 'REF_INVALID', message: 'bad', details: { at: 3 } });
  });

  it('has a schema for every method', () => {
    for (const name of methodNames) expect(contract[name].input.safeParse).toBeTypeOf('function');
  });
});
