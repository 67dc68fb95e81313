import type { Hook } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { ApiError, type FieldError } from '../../../shared/problem.ts';
import type { AppEnv } from '../types.ts';

const TARGET_POINTER: Record<string, string> = { json: '', query: '#query', param: '#path', header: '#header', form: '' };

export function fieldErrors(error: ZodError, target: string): FieldError[] {
  const base = TARGET_POINTER[target] ?? '';
  return error.issues.map((issue) => {
    const path = issue.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1'));
    if (issue.code === 'unrecognized_keys') {
      return { pointer: `${base}/${[...path, issue.keys[0] ?? ''].join('/')}`, detail: `Unknown field(s): ${issue.keys.join(', ')}` };
    }
    return { pointer: `${base}/${path.join('/')}`, detail: issue.message };
  });
}

/** The zod hook of every route: a failed validation is a 400 problem naming each field at fault. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    const errors = fieldErrors(result.error, result.target);
    throw new ApiError('validation-failed', { detail: errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '), errors });
  }
};
