import { z } from '@hono/zod-openapi';
import { ROLES } from '../../../shared/db/schema.ts';
import { SCOPES } from './scopes.ts';
import { nameText } from '../http/fields.ts';

// NFC before lower-casing, so canonically equivalent spellings of one address are one account.
export const Email = z.string().normalize('NFC').trim().toLowerCase().email().max(254);
export const Password = z.string().min(12, 'Use at least 12 characters').max(256);

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(ROLES),
    status: z.enum(['ACTIVE', 'PENDING', 'REJECTED', 'DISABLED']),
    createdAt: z.number().int(),
  })
  .openapi('User');

export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(256) }).openapi('LoginRequest');
export const BootstrapBody = z.strictObject({ email: Email, password: Password, displayName: nameText(100) }).openapi('BootstrapRequest');

export const UpdateMeBody = z.strictObject({ displayName: nameText(100) }).openapi('UpdateAccountRequest');
export const ChangePasswordBody = z
  .strictObject({ currentPassword: z.string().min(1).max(256), newPassword: Password })
  .openapi('ChangePasswordRequest');

/** A token from an account mail's link: `tpv_` (verification) or `tpr_` (reset) and 43 base64url characters. */
const MailToken = z.string().regex(/^tp[vr]_[A-Za-z0-9_-]{43}$/, 'Not a token from one of our mails');
export const VerifyEmailBody = z.strictObject({ token: MailToken }).openapi('VerifyEmailRequest');
export const VerifiedSchema = z.object({ email: z.string(), status: z.enum(['ACTIVE', 'PENDING']) }).openapi('EmailVerified');
export const ForgotPasswordBody = z.strictObject({ email: Email }).openapi('ForgotPasswordRequest');
export const ResetPasswordBody = z.strictObject({ token: MailToken, newPassword: Password }).openapi('ResetPasswordRequest');
export const SignupBody = z.strictObject({ email: Email, password: Password, displayName: nameText(100) }).openapi('SignupRequest');
/** The one answer to a sign-up or a reset request, whatever the address: it reveals no account. */
export const MailSentSchema = z.object({ status: z.literal('MAIL_SENT'), detail: z.string() }).openapi('MailSent');

export const CreateTokenBody = z
  .strictObject({
    name: nameText(100),
    scopes: z.array(z.enum(SCOPES)).min(1),
    expiresInDays: z.number().int().min(1).max(365).optional(),
  })
  .openapi('CreateManagementTokenRequest');

export const ManagementTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    expiresAt: z.number().int().nullable(),
    createdAt: z.number().int(),
  })
  .openapi('ManagementToken');

export const CreatedTokenSchema = ManagementTokenSchema.extend({
  token: z.string().openapi({ description: 'Shown once; stored only as a hash' }),
}).openapi('CreatedManagementToken');

export function toUser(u: {
  id: string;
  email: string;
  displayName: string;
  role: (typeof ROLES)[number];
  status: 'ACTIVE' | 'PENDING' | 'REJECTED' | 'DISABLED';
  createdAt: number;
}) {
  return { id: u.id, email: u.email, displayName: u.displayName, role: u.role, status: u.status, createdAt: u.createdAt };
}
