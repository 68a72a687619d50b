import { z } from 'zod';
import { LighterError, toErrorValue } from '../core/errors';
import { contract, type MethodName, type ParsedInput, type Reply, type Result } from './contract';

export type Handlers = {
  [M in MethodName]: (input: ParsedInput<M>) => Promise<Result<M>> | Result<M>;
};

export interface Router {
  /** Validates and dispatches one call. Never throws: failures come back as typed error values. */
  invoke(method: string, input: unknown): Promise<Reply>;
}

export function createRouter(handlers: Handlers): Router {
  return {
    async invoke(method, input) {
      try {
        if (!Object.hasOwn(contract, method)) {
          throw new LighterError('INVALID_INPUT', `Unknown method: ${String(method).slice(0, 100)}`);
        }
        const name = method as MethodName;
        const parsed = contract[name].input.safeParse(input);
        if (!parsed.success) throw validationError(name, parsed.error);
        const handler = handlers[name] as (input: unknown) => unknown;
        const value = await handler(parsed.data);
        return { ok: true, value };
      } catch (e) {
        return { ok: false, error: toErrorValue(e) };
      }
    },
  };
}

function validationError(method: string, error: z.ZodError): LighterError {
  const issues = error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  return new LighterError('INVALID_INPUT', `Invalid input for ${method}: ${issues.join('; ')}`, { issues });
}
