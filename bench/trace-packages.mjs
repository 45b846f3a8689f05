// Loaded with --import: reports each file the process resolves, on stderr (file:<path>).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith('file:')) process.stderr.write('file:' + new URL(r.url).pathname + '\\n');
  return r;
}`),
);
