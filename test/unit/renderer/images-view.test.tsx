// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useEngine } from '../../../src-renderer/store/engine';
import { useImages } from '../../../src-renderer/store/images';
import { ImagesView } from '../../../src-renderer/views/images/ImagesView';
import { connected, FakeError, fakeBridge, image, type FakeBridge } from './fake-bridge';
import { resetStores } from './reset';

const multi = image({ repoTags: ['fixture/multi:1.0', 'fixture/multi:latest', 'localhost:5000/fixture/multi:1.0'], repoDigests: ['fixture/multi@sha256:abcdef0123456789'] });
const used = image({ repoTags: ['fixture/small:1'], containers: 1 });
const dangling = image({ repoTags: [], dangling: true });

let fake: FakeBridge;

beforeEach(async () => {
  resetStores();
  fake = fakeBridge({
    'images.list': () => [multi, used, dangling],
    'images.usage': (input) =>
      (input as { images: string[] }).images.map((id) => ({
        image: id,
        containers: id === used.id ? [{ id: 'c1', name: 'fixture-user', state: 'created' }] : [],
      })),
    'images.remove': (input) => ({ id: 'job-1', kind: 'remove', title: 'Remove', state: 'running', progress: { current: 0, unit: 'items' }, startedAt: 1, input }),
    'images.tag': (input) => {
      const { target } = input as { target: string };
      if (/[A-Z]/.test(target)) throw new FakeError({ code: 'REF_INVALID', message: `invalid reference "${target}": repository name must be lowercase` });
      return input;
    },
  });
  window.lighter = fake.bridge;
  useEngine.setState({ status: connected });
  await useImages.getState().refresh();
});

afterEach(() => {
  cleanup();
  delete window.lighter;
});

const row = (text: string) => screen.getAllByRole('row').find((r) => r.textContent?.includes(text))!;

describe('ImagesView', () => {
  it('shows one row per image with every tag as a chip, dangling and in-use marks', () => {
    render(<ImagesView />);
    expect(screen.getAllByRole('row')).toHaveLength(4);
    const multiRow = row('fixture/multi');
    expect(within(multiRow).getByText('1.0')).toBeTruthy();
    expect(within(multiRow).getByText('latest')).toBeTruthy();
    expect(within(multiRow).getByText('localhost:5000/fixture/multi:1.0')).toBeTruthy();
    expect(within(row('dangling')).getByText('dangling')).toBeTruthy();
    expect(within(row('fixture/small')).getByText(/in use/)).toBeTruthy();
  });

  it('shows the engine’s reference error inline in the tag dialog', async () => {
    render(<ImagesView />);
    fireEvent.click(row('fixture/small'));
    fireEvent.click(screen.getByRole('button', { name: /Tag…/ }));
    const dialog = screen.getByRole('dialog', { name: 'Tag fixture/small:1' });
    const field = within(dialog).getByLabelText('New tag');
    fireEvent.change(field, { target: { value: 'Fixture/Bad' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add tag' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('must be lowercase');
    expect(field.getAttribute('aria-invalid')).toBe('true');
  });

  it('names the containers using an image before removing it, and forces only after that', async () => {
    render(<ImagesView />);
    fireEvent.click(row('fixture/small'));
    fireEvent.keyDown(screen.getByRole('grid'), { key: 'Delete' });
    const dialog = screen.getByRole('dialog', { name: 'Remove fixture/small:1?' });
    await within(dialog).findByText('fixture-user');
    expect(fake.calls.find((c) => c.method === 'images.remove')).toBeUndefined();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove anyway' }));
    await waitFor(() => expect(fake.calls.find((c) => c.method === 'images.remove')?.input).toEqual({ images: ['fixture/small:1'], force: true }));
  });

  it('removes an unused selection without force', async () => {
    render(<ImagesView />);
    fireEvent.click(row('fixture/multi'));
    fireEvent.click(row('dangling'), { ctrlKey: true });
    fireEvent.click(screen.getByRole('button', { name: /Remove 2…/ }));
    const dialog = screen.getByRole('dialog', { name: 'Remove 2 images?' });
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(fake.calls.find((c) => c.method === 'images.remove')).toBeTruthy());
    const input = fake.calls.find((c) => c.method === 'images.remove')!.input as { images: string[]; force: boolean };
    expect(input.force).toBe(false);
    expect([...input.images].sort()).toEqual([...multi.repoTags, dangling.id].sort());
  });
});
