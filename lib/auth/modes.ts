/** How the dashboard knows who is asking (AUTH_MODE): everyone one role, tokens, or a trusted reverse proxy. */
export const authModes = ["open", "token", "proxy"] as const;
export type AuthMode = (typeof authModes)[number];
