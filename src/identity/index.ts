export * from './personal-identity-code.ts';
export * from './business-id.ts';
