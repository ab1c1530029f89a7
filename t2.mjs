import { PGlite } from '@electric-sql/pglite';
const t0 = Date.now();
const db = new PGlite();
await db.waitReady;
console.log('mem ready', Date.now() - t0);
