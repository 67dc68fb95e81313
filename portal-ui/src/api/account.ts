/** Sign-up and account recovery: the calls behind the mailed links (types from the control plane's zod schemas). */
import type { z } from 'zod';
import type {
  ForgotPasswordBody,
  MailSentSchema,
  ResetPasswordBody,
  SignupBody,
  VerifiedSchema,
} from '../../../workers/control-plane/src/auth/schemas.ts';
import { call } from './client.ts';

export type MailSent = z.infer<typeof MailSentSchema>;
export type Verified = z.infer<typeof VerifiedSchema>;

export const accountApi = {
  signup: (body: z.input<typeof SignupBody>) => call<MailSent>('POST', '/api/devportal/v1/signup', body),
  verifyEmail: (token: string) => call<Verified>('POST', '/api/auth/verify-email', { token }),
  forgotPassword: (body: z.input<typeof ForgotPasswordBody>) => call<MailSent>('POST', '/api/auth/password/forgot', body),
  resetPassword: (body: z.input<typeof ResetPasswordBody>) => call<null>('POST', '/api/auth/password/reset', body),
};
