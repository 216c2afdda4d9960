/**
 * Who is using the console and what they may do, as GET /console/api/session answers (filled by
 * app.js before the first page): { mode: 'local' | 'cognito', canWrite, editorsGroup }.
 */
export const session = { mode: 'local', canWrite: false, editorsGroup: '' };
