import type { z } from 'zod';
import type { PutSsoProviderBody, SsoProviderSchema } from '../../../workers/control-plane/src/sso/admin-routes.ts';
import type { SsoProviderLinkSchema } from '../../../workers/control-plane/src/sso/routes.ts';
import { call, enc } from './client.ts';

export type SsoProvider = z.infer<typeof SsoProviderSchema>;
export type SsoProviderInput = z.input<typeof PutSsoProviderBody>;
export type SsoProviderLink = z.infer<typeof SsoProviderLinkSchema>;

/** Portal sign-in with external OpenID Providers (decision 0051). */
export const ssoApi = {
  providers: () => call<{ list: SsoProviderLink[] }>('GET', '/api/auth/sso/providers'),
  adminList: () => call<{ list: SsoProvider[] }>('GET', '/api/admin/v1/sso-providers'),
  put: (keyManagerId: string, body: SsoProviderInput) =>
    call<SsoProvider>('PUT', `/api/admin/v1/key-managers/${enc(keyManagerId)}/sso`, body),
  remove: (keyManagerId: string) => call<null>('DELETE', `/api/admin/v1/key-managers/${enc(keyManagerId)}/sso`),
};
