// The throughput baseline: a bare fastify route on the same machine, in its own process as the
// gateway is — it parses the same JSON body and answers 201 with an id, and does nothing else.
import { randomUUID } from 'node:crypto';

import Fastify from 'fastify';

const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
app.post('/v1/cases', async (_request, reply) => reply.code(201).send({ caseId: randomUUID() }));
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('listening\n');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
