/** A register is a Test or a Production environment; a client certificate is for reporting or for data use (access.md). */
export type Environment = 'Test' | 'Production';
export type Usage = 'reporting' | 'data-use';
