/** What the environment of a run says to the settings: the profile and the force switch. */
import { ConfigError } from '../types/errors';

export const FORCE_ENV = 'PLATFORM_IMAGES_FORCE_UPDATE';
export const PROFILE_ENV = 'PLATFORM_IMAGES_PROFILE';

export type Env = Readonly<Record<string, string | undefined>>;

/** The selected profile (`PLATFORM_IMAGES_PROFILE`), undefined when unset or blank. */
export function profileFrom(env: Env): string | undefined {
  return env[PROFILE_ENV]?.trim() || undefined;
}

export function parseForce(env: Env): boolean {
  const raw = env[FORCE_ENV]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw new ConfigError(`environment`, FORCE_ENV, `"${env[FORCE_ENV]}" is not a boolean`, 'set it to true or false');
}
