import { describe, expect, it } from 'vitest';
import { writeError } from '../../src-main/core/write-errors';

const failed = (code: string) => Object.assign(new Error(`${code}: something`), { code });

describe('writeError', () => {
  it('names the file and what to do, for every write failure a person can act on', () => {
    expect(writeError(failed('ENOSPC'), '/stick/app.tar')).toMatchObject({ code: 'NO_SPACE', message: 'No space left while writing /stick/app.tar' });
    expect(writeError(failed('EDQUOT'), '/home/store')).toMatchObject({ code: 'NO_SPACE', message: 'No space left while writing /home/store' });
    expect(writeError(failed('EFBIG'), '/stick/big.tar')).toMatchObject({ code: 'NO_SPACE', message: '/stick/big.tar is too large for this file system (FAT32 stops at 4 GiB)' });
    expect(writeError(failed('EROFS'), '/stick/app.tar')).toMatchObject({ code: 'INVALID_INPUT', message: 'Cannot write /stick/app.tar: the file system is read-only' });
    expect(writeError(failed('EACCES'), '/etc/app.tar')).toMatchObject({ code: 'INVALID_INPUT', message: 'Cannot write /etc/app.tar: permission denied (EACCES)' });
    expect(writeError(failed('ABORT_ERR'), '/x')).toMatchObject({ code: 'CANCELLED' });
  });

  it('passes anything else through unchanged', () => {
    const other = failed('EIO');
    expect(writeError(other, '/x')).toBe(other);
    expect(writeError(undefined, '/x')).toBeUndefined();
  });
});
