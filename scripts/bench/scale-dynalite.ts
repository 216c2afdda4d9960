import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { closeDynaliteIterators } from '../local/dynalite-iterators.js';
import { LOCAL_CREDENTIALS } from '../local/emulators.js';
import { guardEmulatorServer } from '../local/loopback-guard.js';

/**
 * The scale benchmark's DynamoDB: an in-memory dynalite in a process of its own, so that the
 * emulator (one thread) does not share a thread with the loader or the job runner, and its heap
 * (a few GB for 2.5 M items) is sized apart (the benchmark forks it with a large
 * --max-old-space-size). Answers { port } once listening, then { rssMb } to each 'rss' message.
 */
closeDynaliteIterators();
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
guardEmulatorServer(server, 'sdk', LOCAL_CREDENTIALS.accessKeyId);
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (m: unknown) => {
  if (m === 'rss') process.send!({ rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) });
});
process.on('disconnect', () => process.exit(0));
