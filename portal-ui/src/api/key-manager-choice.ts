import type { z } from 'zod';
import type {
  KeyManagerChoiceSchema,
  RegisterExternalClientBody,
  RegisteredExternalClientSchema,
} from '../../../workers/control-plane/src/devportal/external-registration/routes.ts';
import type { RegistrationSettingSchema } from '../../../workers/control-plane/src/admin/key-managers/registration.ts';
import { call, enc } from './client.ts';

export type KeyManagerChoice = z.infer<typeof KeyManagerChoiceSchema>;
export type RegisterExternalClient = z.input<typeof RegisterExternalClientBody>;
export type RegisteredExternalClient = z.infer<typeof RegisteredExternalClientSchema>;
export type RegistrationSetting = z.infer<typeof RegistrationSettingSchema>;

const app = (id: string) => `/api/devportal/v1/applications/${enc(id)}`;

/** The application page's key-manager choice and RFC 7591 registration at external providers (decision 0052). */
export const keyManagerChoiceApi = {
  choices: (applicationId: string) => call<{ list: KeyManagerChoice[] }>('GET', `${app(applicationId)}/key-managers`),
  register: (applicationId: string, body: RegisterExternalClient) =>
    call<RegisteredExternalClient>('POST', `${app(applicationId)}/external-clients/register`, body),
  setRegistration: (keyManagerId: string, initialAccessToken: string | null) =>
    call<RegistrationSetting>('PUT', `/api/admin/v1/key-managers/${enc(keyManagerId)}/registration`, { initialAccessToken }),
};
