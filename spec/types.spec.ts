import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph, isJobDefinition } from '../lib/api/job.ts';
import { typed } from './types/api-types.ts';
import { eventTimeTyped } from './types/event-time-types.ts';
import { coProcessTyped } from './types/coprocess-types.ts';
import { joinTyped } from './types/join-types.ts';
import { sqlTyped } from './types/sql-types.ts';

const Types = suite('type-level API assertions');

Types('the type assertions module loads (its checks run in npm run typecheck) and exports a job', () => {
  assert.ok(isJobDefinition(typed), 'expected the module to export a job definition');
  assert.is(typed.name, 'api-types', 'expected the job name');
});

Types('the job the type assertions describe builds a graph', () => {
  // `typed` comes from the built package (import from "weir"), buildGraph from the sources: two declarations of one type.
  const graph = buildGraph(typed as unknown as Parameters<typeof buildGraph>[0], { n: 3 });
  // The @ts-expect-error lines are still JavaScript: the mistyped collect sink "wrong" is built too.
  assert.equal(graph.egressNames().sort(), ['prices', 'vwap', 'wrong'], 'expected the collect sinks the typed job declares');
  assert.ok(graph.nodes.some((n) => n.type === 'aggregate'), 'expected the aggregate of the typed job');
});

Types('the event-time type assertions describe a job that builds: windows, the late side output, a two-input node', () => {
  const graph = buildGraph(eventTimeTyped as unknown as Parameters<typeof buildGraph>[0], {});
  assert.equal(graph.egressNames().sort(), ['candles', 'late'], 'expected the collect sinks the event-time job declares');
  assert.ok(graph.nodes.some((n) => n.inputs.some((edge) => edge.input === 1)), 'expected the connected streams to make a node with a second input');
});

Types('the co-process type assertions describe a job that builds: co-process and broadcast-process nodes, each with a second input', () => {
  const graph = buildGraph(coProcessTyped as unknown as Parameters<typeof buildGraph>[0], {});
  assert.equal(graph.egressNames().sort(), ['alerts', 'checked'], 'expected the collect sinks the co-process job declares');
  assert.ok(graph.nodes.some((n) => n.type === 'coProcess' && n.inputs.some((edge) => edge.input === 1)), 'expected a co-process node with a second input');
  assert.ok(graph.nodes.some((n) => n.type === 'broadcastProcess' && n.inputs.some((edge) => edge.input === 1 && edge.partition.type === 'broadcast')), 'expected a broadcast-process node reading a broadcast input');
});

Types('the join type assertions describe a job that builds: window join, coGroup, interval join and set operations', () => {
  const graph = buildGraph(joinTyped as unknown as Parameters<typeof buildGraph>[0], {});
  const types = graph.nodes.map((n) => n.type);
  for (const type of ['join', 'coGroup', 'intervalJoin', 'distinct', 'intersect', 'except']) assert.ok(types.includes(type), `expected a ${type} node, got ${types.join(', ')}`);
});

Types('the SQL sink type assertions describe a job that builds: a sqlite and a postgres sink', () => {
  const graph = buildGraph(sqlTyped as unknown as Parameters<typeof buildGraph>[0], {});
  assert.equal(graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.type), ['sqlite', 'postgres']);
});

Types.run();
