// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import { asLighterError, call, onEvent } from '../../../src-renderer/api';
import { FakeError, fakeBridge } from './fake-bridge';

afterEach(() => {
  delete window.lighter;
});

describe('api', () => {
  it('resolves with the value of an ok reply and passes the input through', async () => {
    const fake = fakeBridge({ 'images.tag': (input) => ({ ...(input as object) }) });
    window.lighter = fake.bridge;
    await expect(call('images.tag', { source: 'a', target: 'b:1' })).resolves.toEqual({ source: 'a', target: 'b:1' });
    expect(fake.calls).toEqual([{ method: 'images.tag', input: { source: 'a', target: 'b:1' } }]);
  });

  it('rebuilds the LighterError of a failed reply with code, message and details', async () => {
    window.lighter = fakeBridge({
      'images.tag': () => {
        throw new FakeError({ code: 'REF_INVALID', message: 'invalid reference format: repository name must be lowercase', details: { ref: 'Bad' } });
      },
    }).bridge;
    const error = await call('images.tag', { source: 'a', target: 'Bad' }).catch((e) => e);
    expect(error).toBeInstanceOf(LighterError);
    expect(error.code).toBe('REF_INVALID');
    expect(error.message).toContain('must be lowercase');
    expect(error.details).toEqual({ ref: 'Bad' });
  });

  it('turns a rejected invoke into an INTERNAL error instead of a raw exception', async () => {
    window.lighter = { ...fakeBridge().bridge, invoke: () => Promise.reject(new Error('channel closed')) };
    const error = await call('engine.status').catch((e) => e);
    expect(error).toBeInstanceOf(LighterError);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('channel closed');
  });

  it('fails clearly when the bridge is missing', async () => {
    const error = await call('engine.status').catch((e) => e);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/window\.lighter/);
  });

  it('delivers events and unsubscribes', () => {
    const fake = fakeBridge();
    window.lighter = fake.bridge;
    const seen: unknown[] = [];
    const off = onEvent((name, payload) => seen.push([name, payload]));
    fake.emit('images.changed', { at: 1 });
    off();
    fake.emit('images.changed', { at: 2 });
    expect(seen).toEqual([['images.changed', { at: 1 }]]);
  });

  it('accepts error values thrown as plain objects', () => {
    const e = asLighterError({ code: 'NOT_FOUND', message: 'No such image' });
    expect(e).toBeInstanceOf(LighterError);
    expect(e.code).toBe('NOT_FOUND');
  });
});
