import type { z } from 'zod';
import type {
  CreateRegistrationTokenBody,
  RegistrationTokenSchema,
} from '../../../workers/control-plane/src/admin/registration-tokens/routes.ts';
import { call, enc } from './client.ts';

export type RegistrationToken = z.infer<typeof RegistrationTokenSchema>;
export type CreateRegistrationToken = z.input<typeof CreateRegistrationTokenBody>;

/** Admin-issued initial access tokens for Turnpike's own dynamic client registration (decision 0052). */
export const registrationTokenApi = {
  list: () => call<{ list: RegistrationToken[] }>('GET', '/api/admin/v1/registration-tokens'),
  create: (body: CreateRegistrationToken) => call<RegistrationToken & { token: string }>('POST', '/api/admin/v1/registration-tokens', body),
  revoke: (id: string) => call<null>('DELETE', `/api/admin/v1/registration-tokens/${enc(id)}`),
};
