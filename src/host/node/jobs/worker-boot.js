// The first module of every suite worker. A worker thread does not inherit
// tsx's loader from the thread that starts it (Node 20), so it registers it
// itself, as bin/epoll-lab.js does, and then loads its TypeScript entry. Plain
// JavaScript on purpose: nothing can compile this file for it.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
